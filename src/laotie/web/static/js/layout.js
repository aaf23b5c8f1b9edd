// Phone layout: a table.list becomes a stack of cards below 640 px (CSS). Each cell shows its
// column's heading before its value, taken here from the table's header row so that templates
// keep writing plain tables.
(function () {
  "use strict";
  document.querySelectorAll("table.list, table.plain").forEach(function (table) {
    var head = table.querySelector("thead tr") || table.querySelector("tr");
    if (!head || !head.querySelector("th")) return;
    var names = Array.prototype.map.call(head.children, function (th) { return th.textContent.trim(); });
    head.classList.add("head-row");
    table.classList.add("cards");
    table.querySelectorAll("tr").forEach(function (row) {
      if (row === head) return;
      Array.prototype.forEach.call(row.children, function (cell, i) {
        if (names[i] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", names[i]);
      });
    });
  });
})();
