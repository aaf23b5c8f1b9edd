// The video page: count a view once playback starts; buy a linked product with the video's attribution.
(function () {
  "use strict";
  var player = document.getElementById("player");
  var attribution = JSON.parse(document.getElementById("video-attribution").textContent);
  var counted = false;
  if (player) {
    player.addEventListener("play", function () {
      if (counted) return;
      counted = true;
      fetch("/api/v1/videos/" + attribution.video_id + "/views", { method: "POST", credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) document.getElementById("views").textContent = data.views; });
    });
  }
  var errorBox = document.getElementById("buy-error");
  function fail(message) { errorBox.textContent = message; errorBox.hidden = false; }
  function key() { return "video-" + Date.now() + "-" + Math.random().toString(36).slice(2); }
  document.querySelectorAll(".buy-from-video").forEach(function (button) {
    button.addEventListener("click", function () {
      var select = button.parentNode.querySelector(".sku-select");
      var option = select.options[select.selectedIndex];
      button.disabled = true;
      fetch("/api/v1/addresses", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (book) {
          var list = Array.isArray(book) ? book : (book.items || []);
          var chosen = list.filter(function (a) { return a.is_default; })[0] || list[0];
          if (!chosen) {  // no address yet: the ordinary checkout page asks for one
            window.location = "/checkout?sku=" + option.value + "&qty=1&price=" + option.dataset.price;
            return null;
          }
          return fetch("/api/v1/orders/buy-now", {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "Idempotency-Key": key() },
            body: JSON.stringify({
              sku_id: Number(option.value), quantity: 1, expected_unit_price_fen: Number(option.dataset.price),
              address_id: chosen.id, attribution: attribution
            })
          }).then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
            .then(function (answer) {
              if (answer.ok) { window.location = "/checkouts/" + answer.body.checkout_id + "/cashier"; return; }
              fail(answer.body.error ? answer.body.error.message : "下单失败");
              button.disabled = false;
            });
        })
        .catch(function () { fail("网络异常，请重试"); button.disabled = false; });
    });
  });
})();
