// The anchor console: open a room, rotate the key, schedule a session, live cart, 讲解中, 秒杀.
(function () {
  "use strict";
  var errorBox = document.getElementById("console-error");
  function fail(message) { errorBox.textContent = message; errorBox.hidden = false; }
  function api(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error(data.error ? data.error.message : "操作失败");
        return data;
      });
    });
  }
  function showKey(key) {
    document.getElementById("key-server").textContent = key.rtmp_url;
    document.getElementById("key-value").textContent = key.stream_key;
    document.getElementById("key-box").hidden = false;
    var missing = document.getElementById("key-missing");
    if (missing) missing.hidden = true;
  }
  function on(id, event, handler) { var el = document.getElementById(id); if (el) el.addEventListener(event, handler); }

  // 复制 buttons, and the how-to opened on a first visit only
  document.querySelectorAll(".copy").forEach(function (b) {
    b.addEventListener("click", function () {
      var value = document.getElementById(b.dataset.copy).textContent;
      var done = function () { b.textContent = "已复制"; setTimeout(function () { b.textContent = "复制"; }, 1500); };
      if (navigator.clipboard) navigator.clipboard.writeText(value).then(done, function () { window.prompt("复制：", value); });
      else window.prompt("复制：", value);
    });
  });
  var howto = document.getElementById("push-howto");
  if (howto && !localStorage.getItem("laotie-push-howto-seen")) { howto.open = true; localStorage.setItem("laotie-push-howto-seen", "1"); }

  on("open-room", "submit", function (ev) {
    ev.preventDefault();
    var form = ev.target;
    var shop = form.shop_id.value;
    api("POST", "/api/v1/live/rooms", { shop_id: shop ? Number(shop) : null, title: form.title.value })
      .then(function (out) { showKey(out.key); setTimeout(function () { location.reload(); }, 8000); })
      .catch(function (e) { fail(e.message); });
  });
  document.querySelectorAll(".rotate").forEach(function (b) {
    b.addEventListener("click", function () {
      if (!confirm("更换后旧密钥立即失效，确定吗？")) return;
      api("POST", "/api/v1/live/rooms/" + b.dataset.room + "/stream-key").then(showKey).catch(function (e) { fail(e.message); });
    });
  });
  document.querySelectorAll(".new-session").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      api("POST", "/api/v1/live/rooms/" + form.dataset.room + "/sessions", { title: form.title.value })
        .then(function (s) { location.href = "/merchant/live/sessions/" + s.id; })
        .catch(function (e) { fail(e.message); });
    });
  });

  var holder = document.getElementById("session");
  if (!holder) return;
  var base = "/api/v1/live/sessions/" + holder.dataset.session;
  function reload() { location.reload(); }
  on("add-item", "submit", function (ev) {
    ev.preventDefault();
    api("POST", base + "/cart", { product_id: Number(ev.target.product_id.value) }).then(reload).catch(function (e) { fail(e.message); });
  });
  document.querySelectorAll(".pin").forEach(function (b) {
    b.addEventListener("click", function () {
      api("PUT", base + "/pin", { item_id: b.dataset.item ? Number(b.dataset.item) : null }).then(reload).catch(function (e) { fail(e.message); });
    });
  });
  // 秒杀: the SKU list follows the chosen cart product, and says what the price saves
  var itemPick = document.getElementById("flash-item"), skuPick = document.getElementById("flash-sku");
  function skus() {
    if (!itemPick || !skuPick) return;
    var first = null;
    Array.prototype.forEach.call(skuPick.options, function (o) {
      var mine = o.dataset.item === itemPick.value;
      o.hidden = !mine; o.disabled = !mine;
      if (mine && !first) first = o;
    });
    if (first && (skuPick.selectedOptions[0] || {}).dataset.item !== itemPick.value) skuPick.value = first.value;
    hint();
  }
  function yuan(fen) {  // integer fen to "¥12.05", no float division
    return "¥" + Math.floor(fen / 100) + "." + String(fen % 100).padStart(2, "0");
  }
  function hint() {
    var o = skuPick && skuPick.selectedOptions[0], box = document.getElementById("flash-hint");
    var form = document.getElementById("new-flash");
    if (!o || !box || !form) return;
    var price = Math.round(Number(form.price_yuan.value) * 100), list = Number(o.dataset.price);
    box.textContent = price > 0 && price < list
      ? "比原价省 " + yuan(list - price) + "，库存 " + o.dataset.stock + " 件"
      : "库存 " + o.dataset.stock + " 件；秒杀价需低于原价 " + yuan(list);
  }
  if (itemPick) { itemPick.addEventListener("change", skus); skuPick.addEventListener("change", hint); skus(); }
  // 开抢时间 defaults to two minutes from now on the anchor's own clock
  var startsAt = document.querySelector("#new-flash input[name=starts_at]");
  if (startsAt) {
    var soon = new Date(Date.now() + 120000), pad = function (n) { return (n < 10 ? "0" : "") + n; };
    startsAt.value = soon.getFullYear() + "-" + pad(soon.getMonth() + 1) + "-" + pad(soon.getDate()) + "T" + pad(soon.getHours()) + ":" + pad(soon.getMinutes());
  }
  on("new-flash", "input", hint);
  on("new-flash", "submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    // datetime-local is the anchor's own clock (Beijing time on their phone): Date reads it as local
    var starts = f.starts_at ? new Date(f.starts_at.value).toISOString()
      : new Date(Date.now() + Number(f.in_seconds.value || 0) * 1000).toISOString();
    api("POST", base + "/flash-sales", {
      item_id: Number(f.item_id.value),
      sku_id: Number(f.sku_id.value),
      price_fen: Math.round(Number(f.price_yuan.value) * 100),
      quantity: Number(f.quantity.value),
      per_buyer_limit: Number(f.per_buyer_limit.value || 1),
      starts_at: starts
    }).then(reload).catch(function (e) { fail(e.message); });
  });
  on("end-session", "click", function () {
    if (!confirm("确定结束直播吗？未售出的秒杀库存会退回商品。")) return;
    api("POST", base + "/end").then(function () { location.href = "/merchant/live/sessions/" + holder.dataset.session + "/report"; }).catch(function (e) { fail(e.message); });
  });

  // 求讲解 signals: purchase-intent comments per minute and the latest ones, refreshed every 10 s.
  var intentPanel = document.getElementById("intent-panel");
  var sessionBox = document.getElementById("session");
  function showIntent(data) {
    document.getElementById("intent-total").textContent = data.total;
    var bars = document.getElementById("intent-bars");
    var peak = Math.max.apply(null, data.per_minute.concat([1]));
    bars.textContent = "";
    data.per_minute.slice(-60).forEach(function (v, i, shown) {
      var bar = document.createElement("span");
      bar.style.height = Math.round((v / peak) * 100) + "%";
      bar.title = "第" + (data.per_minute.length - shown.length + i + 1) + "分钟 " + v + " 条";
      bars.appendChild(bar);
    });
    Array.prototype.forEach.call(document.querySelectorAll(".item-asks"), function (cell) {
      cell.textContent = data.by_product[cell.dataset.product] || 0;
    });
    var list = document.getElementById("intent-recent");
    list.textContent = "";
    data.recent.forEach(function (c) {
      var li = document.createElement("li");
      li.textContent = "第" + (c.minute + 1) + "分钟 · " + c.text;
      list.appendChild(li);
    });
  }
  function pollIntent() {
    api("GET", "/api/v1/live/sessions/" + sessionBox.dataset.session + "/intent").then(showIntent, function () {});
  }
  if (intentPanel && sessionBox) {
    pollIntent();
    setInterval(pollIntent, 10000);
  }
})();
