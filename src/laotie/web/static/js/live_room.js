// The live room: one WebSocket for comments, likes, viewers, 讲解中, 秒杀 and stock; HLS video.
(function () {
  "use strict";
  var root = document.getElementById("live-room");
  if (!root) return;
  var sid = root.dataset.session;
  var list = document.getElementById("comments");
  var MAX_COMMENTS = 80;
  var socket = null;
  var retry = 1000;

  function text(el, value) { if (el) el.textContent = value; }
  function yuan(fen) {  // integer fen, no float division: 1205 -> ¥12.05
    var sign = fen < 0 ? "-" : "";
    fen = Math.abs(fen);
    return sign + "¥" + Math.floor(fen / 100) + "." + String(fen % 100).padStart(2, "0");
  }

  function addComment(m, mine) {
    var li = document.createElement("li");
    var who = document.createElement("b");
    who.textContent = (m.nick || "老铁") + "：";
    li.appendChild(who);
    li.appendChild(document.createTextNode(m.text));
    if (mine) li.className = "mine";
    list.appendChild(li);
    while (list.children.length > MAX_COMMENTS) list.removeChild(list.firstChild);
    list.scrollTop = list.scrollHeight;
  }

  function system(message) {
    var li = document.createElement("li");
    li.className = "system";
    li.textContent = message;
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
  }

  function toast(message) {
    var t = document.getElementById("buy-toast");
    t.textContent = message;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { t.hidden = true; }, 2500);
  }

  function pinned(item) {
    var box = document.getElementById("pinned");
    box.innerHTML = "";
    document.querySelectorAll("#cart-list li").forEach(function (li) {
      li.classList.toggle("on", item && String(item.id) === li.dataset.item);
    });
    if (!item) { box.hidden = true; return; }
    var badge = document.createElement("span");
    badge.className = "badge hot";
    badge.textContent = "讲解中";
    var link = document.createElement("a");
    link.href = "/p/" + item.product_id;
    link.textContent = " " + item.title + " ";
    var price = document.createElement("span");
    price.className = "price";
    price.textContent = yuan(item.min_price_fen);
    box.append(badge, link, price);
    box.hidden = false;
    buyBar(item);
  }

  // The phone's buy bar follows the pinned product (讲解中).
  function buyBar(item) {
    var bar = document.getElementById("bb-pinned"), buy = document.getElementById("bb-buy");
    if (!bar || !buy || !item) return;
    bar.innerHTML = "";
    var top = document.createElement("span");
    var badge = document.createElement("span");
    badge.className = "badge hot";
    badge.textContent = "讲解中";
    var price = document.createElement("span");
    price.className = "price";
    price.textContent = " " + yuan(item.min_price_fen);
    top.append(badge, price);
    var title = document.createElement("span");
    title.className = "bb-title";
    title.textContent = item.title;
    bar.append(top, title);
    buy.href = "/p/" + item.product_id;
    buy.textContent = "去购买";
  }

  function flashCard(id) { return document.querySelector('.flash-sale[data-flash="' + id + '"]'); }

  function handle(m) {
    switch (m.type) {
      case "state":
        text(document.getElementById("likes"), m.likes);
        if (m.pinned) pinned(m.pinned);
        // The chat so far, before anything live; a reconnect's state replaces it rather than repeating it.
        list.innerHTML = "";
        (m.recent_comments || []).forEach(function (c) { addComment(c, false); });
        break;
      case "comment": addComment(m, false); break;
      case "error": system(m.message); break;
      case "likes": text(document.getElementById("likes"), m.total); break;
      case "viewers": text(document.getElementById("viewers"), m.n); break;
      case "pinned": pinned(m.item); break;
      case "flash": location.reload(); break;
      case "flash_open": system("秒杀开抢啦！"); tick(); break;
      case "stock": {
        var card = flashCard(m.flash_id);
        if (card) {
          text(card.querySelector(".remaining"), m.remaining);
          // A cancelled order gave units back to a sold-out sale: it is on again.
          if (m.remaining > 0 && card.classList.contains("sold")) { card.classList.remove("sold"); tick(); }
        }
        break;
      }
      case "sold_out": {
        var sold = flashCard(m.flash_id);
        if (sold) { sold.classList.add("sold"); text(sold.querySelector(".countdown"), "已抢光"); }
        break;
      }
      case "purchase": toast(m.buyer + " " + m.verb); break;
      case "session":
        if (m.status === "ended") { text(document.getElementById("player-note"), "直播已结束"); }
        if (m.status === "live") { location.reload(); }
        break;
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/api/v1/live/sessions/" + sid + "/ws");
    socket.onmessage = function (ev) {
      var batch;
      try { batch = JSON.parse(ev.data); } catch (e) { return; }
      batch.forEach(handle);
      retry = 1000;
    };
    socket.onclose = function (ev) {
      if (ev.code === 1000 || ev.code === 4404) return;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }

  document.getElementById("say").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var input = document.getElementById("say-text");
    var value = input.value.trim();
    if (!value || !socket || socket.readyState !== 1) return;
    socket.send(JSON.stringify({ type: "comment", text: value }));
    input.value = "";
  });
  document.getElementById("like").addEventListener("click", function () {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify({ type: "like", n: 1 }));
  });

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".flash-sale").forEach(function (card) {
      if (card.classList.contains("sold")) return;
      var left = Math.ceil((Date.parse(card.dataset.starts) - now) / 1000);
      var button = card.querySelector(".buy-flash");
      if (left > 0) {
        text(card.querySelector(".countdown"), "距开抢 " + Math.floor(left / 60) + " 分 " + (left % 60) + " 秒");
        button.disabled = true;
      } else {
        text(card.querySelector(".countdown"), "正在疯抢");
        button.disabled = false;
      }
    });
  }
  setInterval(tick, 500);
  tick();

  // 马上抢: a sheet with the SKU on sale, its 秒杀价 and the saving, the quantity (up to the limit)
  // and the address; 确认 places the order and goes straight to the cashier.
  var sheet = document.getElementById("flash-sheet"), sheetFlash = null, addressId = null;
  function sheetError(message) { var e = document.getElementById("fs-error"); e.textContent = message; e.hidden = !message; }
  function openSheet(button) {
    sheetFlash = button.dataset.flash;
    var price = Number(button.dataset.price), list = Number(button.dataset.list);
    text(document.getElementById("fs-title"), button.dataset.title);
    text(document.getElementById("fs-sku"), button.dataset.sku);
    text(document.getElementById("fs-price"), yuan(price));
    text(document.getElementById("fs-list"), yuan(list));
    text(document.getElementById("fs-save"), list > price ? "比原价省 " + yuan(list - price) : "");
    text(document.getElementById("fs-limit"), "每人限购 " + button.dataset.limit + " 件");
    var cover = document.getElementById("fs-cover");
    cover.hidden = !button.dataset.cover;
    if (button.dataset.cover) cover.src = button.dataset.cover;
    var qty = document.getElementById("fs-qty");
    qty.max = button.dataset.limit; qty.value = 1;
    sheetError("");
    sheet.hidden = false;
    fetch("/api/v1/addresses", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (page) {
        var items = page.items || page || [];
        var chosen = items.filter(function (a) { return a.is_default; })[0] || items[0];
        addressId = chosen ? chosen.id : null;
        text(document.getElementById("fs-address"), chosen
          ? "寄到：" + chosen.recipient + " " + (chosen.province_name || "") + (chosen.city_name || "") + (chosen.district_name || "") + (chosen.detail || "")
          : "还没有收货地址，请先在下单页添加");
      })
      .catch(function () { text(document.getElementById("fs-address"), "收货地址读取失败，请重试"); });
  }
  document.querySelectorAll(".buy-flash").forEach(function (button) {
    button.addEventListener("click", function () {
      if (root.dataset.login !== "1") { location.href = "/login?next=/live/" + sid; return; }
      openSheet(button);
    });
  });
  if (sheet) {
    document.getElementById("fs-close").addEventListener("click", function () { sheet.hidden = true; });
    sheet.addEventListener("click", function (ev) { if (ev.target === sheet) sheet.hidden = true; });
    document.getElementById("flash-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!addressId) { sheetError("请先添加收货地址"); return; }
      var go = document.getElementById("fs-go");
      go.disabled = true;
      fetch("/api/v1/live/sessions/" + sid + "/flash-sales/" + sheetFlash + "/buy", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Idempotency-Key": "flash-" + sheetFlash + "-" + Date.now() },
        body: JSON.stringify({ quantity: Number(document.getElementById("fs-qty").value || 1), address_id: addressId })
      })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (res) {
          if (res.ok && res.body.checkout_id) { location.href = "/checkouts/" + res.body.checkout_id + "/cashier"; return; }
          sheetError(res.body.error ? res.body.error.message : "抢购失败，请重试");
          go.disabled = false;
        })
        .catch(function () { sheetError("网络不稳定，请重试"); go.disabled = false; });
    });
  }

  // Video: native HLS (Safari, mobile), or hls.js when it was installed (make web-deps).
  var video = document.getElementById("live-video");
  var hls = root.dataset.hls;
  function note(message) { text(document.getElementById("player-note"), message); }
  if (hls && video) {
    // controls (and their 0:00) only once there is a picture; the cover poster until then
    video.addEventListener("playing", function () { video.controls = true; note(""); });
    var native = function () {
      if (video.canPlayType("application/vnd.apple.mpegurl")) { video.src = hls; return true; }
      return false;
    };
    // hls.js wherever Media Source Extensions exist (Chromium's own HLS support is not yet
    // dependable); the browser's native HLS (Safari, iOS) otherwise, or if hls.js is missing.
    if (window.MediaSource || window.ManagedMediaSource) {
      var s = document.createElement("script");
      s.src = "/static/vendor/hls.min.js";
      s.onload = function () {
        if (window.Hls && window.Hls.isSupported()) {
          var player = new window.Hls();
          player.loadSource(hls);
          player.attachMedia(video);
        } else if (!native()) {
          note("此浏览器不能直接播放直播画面（可用手机或 Safari 观看）；评论、小黄车和秒杀照常");
        }
      };
      s.onerror = function () {
        if (!native()) note("此浏览器不能直接播放直播画面（可用手机或 Safari 观看）；评论、小黄车和秒杀照常");
      };
      document.head.appendChild(s);
    } else if (!native()) {
      note("此浏览器不能直接播放直播画面（可用手机或 Safari 观看）；评论、小黄车和秒杀照常");
    }
  }
  connect();
})();
