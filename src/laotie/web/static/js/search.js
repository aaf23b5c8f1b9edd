// Suggestions as you type in the header's search box: what others searched and known words (pinyin too).
(function () {
  var input = document.querySelector("input[data-suggest]");
  var list = document.getElementById("suggest-list");
  if (!input || !list) return;
  var timer = null, seq = 0, active = -1;
  function hide() { list.hidden = true; list.innerHTML = ""; active = -1; }
  function go(text) { input.value = text; hide(); input.form.submit(); }
  function show(items) {
    list.innerHTML = "";
    items.forEach(function (s, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.textContent = s.text;
      li.dataset.index = i;
      li.addEventListener("mousedown", function (e) { e.preventDefault(); go(s.text); });
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
  }
  function fetchSuggestions() {
    var mine = ++seq;
    fetch(input.dataset.suggest + "?q=" + encodeURIComponent(input.value.trim()), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) { if (mine === seq && document.activeElement === input) show(data.items || []); })
      .catch(function () {});
  }
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(fetchSuggestions, 120); });
  input.addEventListener("focus", fetchSuggestions);
  input.addEventListener("blur", function () { setTimeout(hide, 150); });
  input.addEventListener("keydown", function (e) {
    var options = list.querySelectorAll("li");
    if (list.hidden || !options.length) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
      options.forEach(function (li, i) { li.classList.toggle("on", i === active); });
    } else if (e.key === "Enter" && active >= 0) {
      e.preventDefault();
      go(options[active].textContent);
    } else if (e.key === "Escape") {
      hide();
    }
  });
})();
