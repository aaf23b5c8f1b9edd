// Cart: the total follows the ticked lines (去结算 sends only those), 全选, and the +/− steppers
// change a line's quantity without reloading the page, so the ticks stay as the buyer left them.
// Without this script the steppers post and reload, and every available line is ticked again.
(function () {
  "use strict";

  var total = document.getElementById("cart-total");
  var count = document.getElementById("cart-count");
  var go = document.getElementById("cart-checkout");
  var all = document.getElementById("pick-all");
  if (!total) { return; }

  function picks() { return Array.prototype.slice.call(document.querySelectorAll("input[name=pick]")); }

  function yuan(fen) {
    var s = String(fen).padStart(3, "0");
    var whole = s.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return "¥" + whole + "." + s.slice(-2);
  }

  function refresh() {
    var fen = 0, pieces = 0, ticked = 0;
    picks().forEach(function (box) {
      if (!box.checked) { return; }
      var line = box.closest(".cart-line");
      var qty = parseInt(line.dataset.qty, 10) || 0;
      fen += (parseInt(line.dataset.price, 10) || 0) * qty;
      pieces += qty;
      ticked += 1;
    });
    total.textContent = yuan(fen);
    if (count) { count.textContent = ticked ? "已选 " + pieces + " 件" : "未选择商品"; }
    if (go) { go.disabled = ticked === 0; }
    if (all) { all.checked = ticked > 0 && ticked === picks().length; }
  }

  picks().forEach(function (box) { box.addEventListener("change", refresh); });
  if (all) {
    all.addEventListener("change", function () {
      picks().forEach(function (box) { box.checked = all.checked; });
      refresh();
    });
  }

  document.querySelectorAll("form.stepper").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      var input = form.querySelector("input[name=qty]");
      var step = e.submitter && e.submitter.name === "step" ? parseInt(e.submitter.value, 10) : 0;
      var wanted = Math.min(Math.max((parseInt(input.value, 10) || 1) + step, 1), 999);
      var body = new URLSearchParams();
      body.set("qty", String(wanted));
      e.preventDefault();
      fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok) { throw new Error("refused"); }
          var line = form.closest(".cart-line");
          input.value = String(wanted);
          line.dataset.qty = String(wanted);
          form.querySelector(".minus").disabled = wanted <= 1;
          refresh();
        })
        .catch(function () { form.submit(); });  // the page then shows why (库存不足 …)
    });
  });

  refresh();
})();
