// Product page: image gallery and the SKU picker (price and stock per attribute combination).
(function () {
  "use strict";

  function yuan(fen) {
    var sign = fen < 0 ? "-" : "";
    fen = Math.abs(fen);
    var whole = String(Math.floor(fen / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var cents = String(fen % 100).padStart(2, "0");
    return sign + "¥" + whole + "." + cents;
  }

  var main = document.getElementById("main-img");
  document.querySelectorAll(".thumbs button").forEach(function (btn) {
    btn.addEventListener("click", function () {
      if (main) main.src = btn.dataset.full;
      document.querySelectorAll(".thumbs button").forEach(function (b) { b.classList.toggle("on", b === btn); });
    });
  });

  var dataNode = document.getElementById("sku-data");
  if (!dataNode) return;
  var skus = JSON.parse(dataNode.textContent).filter(function (s) { return s.active; });
  var rows = Array.prototype.slice.call(document.querySelectorAll("#sku-picker .attr-row"));
  if (!rows.length) return;
  var names = rows.map(function (r) { return r.dataset.attr; });
  var chosen = {};
  var priceEl = document.getElementById("sku-price");
  var origEl = document.getElementById("sku-orig");
  var fromEl = document.getElementById("sku-from");
  var statusEl = document.getElementById("sku-status");

  function matches(sku, picks) {
    return Object.keys(picks).every(function (k) { return sku.attrs[k] === picks[k]; });
  }

  function available(picks) {
    return skus.filter(function (s) { return s.stock > 0 && matches(s, picks); });
  }

  var skuInput = document.getElementById("buy-sku");
  var priceInput = document.getElementById("buy-price");
  var buyButtons = [document.getElementById("buy-now"), document.getElementById("add-to-cart")];

  // The chosen SKU and the price shown for it go with the form (as expected_unit_price_fen).
  function setChoice(sku) {
    if (!skuInput) return;
    var ok = !!sku && sku.stock > 0;
    skuInput.value = ok ? sku.id : "";
    priceInput.value = ok ? sku.price_fen : "";
    buyButtons.forEach(function (b) { if (b) b.disabled = !ok; });
  }

  function update() {
    rows.forEach(function (row) {
      var name = row.dataset.attr;
      row.querySelectorAll("button").forEach(function (btn) {
        var picks = Object.assign({}, chosen);
        picks[name] = btn.dataset.value;
        btn.disabled = available(picks).length === 0;
        btn.classList.toggle("on", chosen[name] === btn.dataset.value);
      });
    });
    var missing = names.filter(function (n) { return !chosen[n]; });
    var pool = skus.filter(function (s) { return matches(s, chosen); });
    setChoice(null);
    if (!missing.length && pool.length === 1) {
      var sku = pool[0];
      setChoice(sku);
      priceEl.textContent = yuan(sku.price_fen);
      origEl.textContent = sku.original_price_fen > sku.price_fen ? yuan(sku.original_price_fen) : "";
      if (fromEl) fromEl.textContent = "";
      statusEl.textContent = "已选：" + names.map(function (n) { return chosen[n]; }).join(" / ") +
        (sku.stock > 0 ? "，库存 " + sku.stock + " 件" : "，已售罄");
      return;
    }
    if (pool.length) {
      var prices = pool.map(function (s) { return s.price_fen; });
      var lo = Math.min.apply(null, prices), hi = Math.max.apply(null, prices);
      priceEl.textContent = lo === hi ? yuan(lo) : yuan(lo) + " - " + yuan(hi);
      origEl.textContent = "";
      if (fromEl) fromEl.textContent = "";
    }
    statusEl.textContent = "请选择" + missing.join("、");
  }

  rows.forEach(function (row) {
    row.querySelectorAll("button").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var name = row.dataset.attr;
        if (chosen[name] === btn.dataset.value) delete chosen[name];
        else chosen[name] = btn.dataset.value;
        update();
      });
    });
  });
  update();
})();
