// Matrix tooltips: each cell carries the number of its reason (data-why); the reasons are
// sent once per page in a JSON script element, not repeated in 5 000 title attributes.
(function () {
  let reasons = null;
  function explain(event) {
    const cell = event.target.closest && event.target.closest("[data-why]");
    if (!cell || cell.title) return;
    if (reasons === null) {
      const data = document.getElementById("compat-reasons");
      reasons = data ? JSON.parse(data.textContent) : [];
    }
    cell.title = reasons[Number(cell.dataset.why)] || "";
  }
  document.addEventListener("mouseover", explain);
  document.addEventListener("focusin", explain);
})();
