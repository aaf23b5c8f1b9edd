// Product form: build one row per combination of attribute values, keeping what was typed.
(function () {
  "use strict";
  var form = document.getElementById("product-form");
  if (!form) return;
  var box = document.getElementById("sku-rows");
  var body = box.querySelector("tbody");
  var prefill = {};
  try { prefill = JSON.parse(document.getElementById("sku-prefill").textContent || "{}"); } catch (e) { prefill = {}; }
  var SPLIT = /[,，、;；\s]+/;

  function attributes() {
    var out = [];
    form.querySelectorAll(".attr-line").forEach(function (line) {
      var name = line.querySelector("[data-attr-name]").value.trim();
      var seen = {};
      var values = line.querySelector("[data-attr-values]").value.trim().split(SPLIT).filter(function (v) {
        if (!v || seen[v]) return false;
        seen[v] = true;
        return true;
      });
      if (name && values.length) out.push({ name: name, values: values });
    });
    return out;
  }

  function combos(attrs) {
    return attrs.reduce(function (acc, attr) {
      var next = [];
      acc.forEach(function (partial) {
        attr.values.forEach(function (v) {
          var c = Object.assign({}, partial);
          c[attr.name] = v;
          next.push(c);
        });
      });
      return next;
    }, [{}]);
  }

  function remember() {
    body.querySelectorAll("tr").forEach(function (tr) {
      var key = tr.querySelector("input[type=hidden]").value;
      prefill[key] = {
        price: tr.querySelector("[data-k=price]").value,
        original: tr.querySelector("[data-k=original]").value,
        stock: tr.querySelector("[data-k=stock]").value
      };
    });
  }

  function input(name, kind, value, placeholder) {
    var el = document.createElement("input");
    el.name = name;
    el.value = value || "";
    el.placeholder = placeholder || "";
    el.dataset.k = kind;
    el.inputMode = kind === "stock" ? "numeric" : "decimal";
    return el;
  }

  function rebuild() {
    remember();
    var attrs = attributes();
    body.textContent = "";
    if (!attrs.length) { box.hidden = true; return; }
    var list = combos(attrs);
    box.hidden = false;
    var defaults = {};
    form.querySelectorAll("[data-default]").forEach(function (el) { defaults[el.dataset.default] = el.value; });
    list.slice(0, 100).forEach(function (attrsOf, i) {
      var key = JSON.stringify(attrsOf);
      var saved = prefill[key] || {};
      var tr = document.createElement("tr");
      var label = document.createElement("td");
      label.textContent = Object.keys(attrsOf).map(function (k) { return attrsOf[k]; }).join(" / ");
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "sku_attrs_" + i;
      hidden.value = key;
      label.appendChild(hidden);
      tr.appendChild(label);
      [["sku_price_", "price"], ["sku_original_", "original"], ["sku_stock_", "stock"]].forEach(function (pair) {
        var td = document.createElement("td");
        td.appendChild(input(pair[0] + i, pair[1], saved[pair[1]], defaults[pair[1]]));
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  form.querySelectorAll("[data-attr-name], [data-attr-values], [data-default]").forEach(function (el) {
    el.addEventListener("input", rebuild);
  });
  rebuild();
})();
