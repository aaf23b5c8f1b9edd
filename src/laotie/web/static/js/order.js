// Order page: right after paying, the provider answers within a second or two (paid, or declined).
// Reload every 0.6 s until the page no longer asks to poll, for at most about 12 s.
(function () {
  "use strict";
  var panel = document.getElementById("order-status");
  var key = "laotie-poll-" + location.pathname;
  if (!panel || !panel.dataset.poll) { sessionStorage.removeItem(key); return; }
  var tries = Number(sessionStorage.getItem(key) || "0");
  if (tries >= 20) {
    sessionStorage.removeItem(key);
    var note = document.getElementById("poll-note");
    if (note) note.textContent = "支付结果确认较慢，请稍后刷新页面查看。";
    return;
  }
  setTimeout(function () {
    sessionStorage.setItem(key, String(tries + 1));
    location.reload();
  }, 600);
})();
