// Order page: right after paying, the webhook marks the order paid within a second or two;
// reload a few times until the status changes, then stop.
(function () {
  "use strict";
  var panel = document.getElementById("order-status");
  var key = "laotie-poll-" + location.pathname;
  if (!panel || !panel.dataset.poll) { sessionStorage.removeItem(key); return; }
  var tries = Number(sessionStorage.getItem(key) || "0");
  if (tries >= 8) {
    sessionStorage.removeItem(key);
    var note = document.getElementById("poll-note");
    if (note) note.textContent = "支付结果确认较慢，请稍后刷新页面查看。";
    return;
  }
  setTimeout(function () {
    sessionStorage.setItem(key, String(tries + 1));
    location.reload();
  }, 1500);
})();
