// errorguard follows the Airflow UI's colour mode: the shell's <html class="dark|light"> when framed
// by it (same origin), else Airflow's stored choice (localStorage "theme": light, dark or system).
(function () {
  "use strict";
  const root = document.documentElement;
  const dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function shellRoot() {
    try {
      if (window.parent !== window && window.parent.document) { return window.parent.document.documentElement; }
    } catch (e) { /* not same-origin: no shell to follow */ }
    return null;
  }

  function stored() {
    try { return window.localStorage.getItem("theme"); } catch (e) { return null; }
  }

  function resolve() {
    const shell = shellRoot();
    if (shell) {
      if (shell.classList.contains("dark")) { return "dark"; }
      if (shell.classList.contains("light")) { return "light"; }
    }
    const choice = stored();
    if (choice === "dark" || choice === "light") { return choice; }
    return dark && dark.matches ? "dark" : "light";
  }

  function apply() {
    const theme = resolve();
    if (root.dataset.theme !== theme) { root.dataset.theme = theme; }
    root.style.colorScheme = theme;
  }

  apply();
  const shell = shellRoot();
  if (shell && window.MutationObserver) {
    new MutationObserver(apply).observe(shell, { attributes: true, attributeFilter: ["class"] });
  }
  window.addEventListener("storage", function (event) { if (event.key === "theme") { apply(); } });
  if (dark && dark.addEventListener) { dark.addEventListener("change", apply); }
})();
