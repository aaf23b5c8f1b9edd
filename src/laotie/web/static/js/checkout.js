// Checkout: region lists that follow each other (province -> city -> district) from /api/v1/regions,
// a highlighted choice, and one submit only. Without this script the form still works: the server
// fills in the next level after each save.
(function () {
  "use strict";

  var form = document.getElementById("address-form");
  if (form) {
    var selects = {};
    form.querySelectorAll("select[data-level]").forEach(function (s) { selects[s.dataset.level] = s; });

    function fill(select, regions) {
      select.innerHTML = "";
      var blank = document.createElement("option");
      blank.value = "";
      blank.textContent = regions.length ? "请选择" : "（无）";
      select.appendChild(blank);
      regions.forEach(function (r) {
        var o = document.createElement("option");
        o.value = r.code;
        o.textContent = r.name;
        select.appendChild(o);
      });
    }

    function load(code, target) {
      if (!code) { fill(target, []); return; }
      fetch("/api/v1/regions/" + encodeURIComponent(code) + "/children", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (regions) { fill(target, regions); })
        .catch(function () { fill(target, []); });
    }

    selects.province.addEventListener("change", function () {
      fill(selects.district, []);
      load(selects.province.value, selects.city);
    });
    selects.city.addEventListener("change", function () { load(selects.city.value, selects.district); });
  }

  document.querySelectorAll(".choices").forEach(function (group) {
    group.addEventListener("change", function () {
      group.querySelectorAll(".choice").forEach(function (c) {
        var input = c.querySelector("input");
        c.classList.toggle("on", !!(input && input.checked));
      });
    });
  });

  // A coupon radio re-prices at once (the server prices; the button stays for pages without script).
  var coupons = document.getElementById("coupon-form");
  if (coupons) {
    coupons.addEventListener("change", function (e) {
      if (e.target && e.target.type === "radio") { coupons.submit(); }
    });
  }

  var place = document.getElementById("place-form");
  if (place) {
    place.addEventListener("submit", function () {
      var button = document.getElementById("place-order");
      // Disabled after the browser has read the form; the idempotency key covers a second submit anyway.
      setTimeout(function () { button.disabled = true; button.textContent = "正在提交…"; }, 0);
    });
  }
})();
