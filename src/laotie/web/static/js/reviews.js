// Product page: load the review section in place, and keep its filter, sort and tag links in place.
(function () {
  "use strict";

  var box = document.getElementById("reviews");
  if (!box || !box.dataset.src) return;
  var slot = box.querySelector(".rv-slot");

  function load(url) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { slot.innerHTML = html; })
      .catch(function () { /* the plain link to the review page stays */ });
  }

  slot.addEventListener("click", function (e) {
    var link = e.target.closest("a[data-part]");
    if (!link) return;
    e.preventDefault();
    var url = new URL(link.getAttribute("href"), location.href);
    url.searchParams.set("part", "1");
    load(url.pathname + url.search);
  });

  load(box.dataset.src);
})();
