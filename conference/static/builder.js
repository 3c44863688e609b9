// The case-list builder: "select all" for the ready queue, and drag and drop to reorder the list (it submits the
// same form the arrows' fallback posts to: every item with the version the page showed).
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (all) {
    document.getElementById("select-all-label").hidden = false;
    all.addEventListener("change", function () {
      document.querySelectorAll("#ready-queue input[name=case_ids]").forEach(function (box) { box.checked = all.checked; });
    });
  }
  var form = document.getElementById("reorder-form");
  var body = document.querySelector("#case-list tbody");
  if (!form || !body) return;
  document.getElementById("drag-hint").hidden = false;
  var dragged = null;
  body.addEventListener("dragstart", function (event) {
    dragged = event.target.closest("tr[draggable=true]");
    if (!dragged) return;
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.item);
  });
  body.addEventListener("dragover", function (event) {
    var row = event.target.closest("tr[data-item]");
    if (!dragged || !row || row === dragged) return;
    event.preventDefault();
    var box = row.getBoundingClientRect();
    body.insertBefore(dragged, event.clientY > box.top + box.height / 2 ? row.nextSibling : row);
  });
  body.addEventListener("drop", function (event) { event.preventDefault(); });
  body.addEventListener("dragend", function () {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    dragged = null;
    var order = Array.prototype.map.call(body.querySelectorAll("tr[data-item]"), function (row) {
      return row.dataset.item + ":" + row.dataset.version;
    }).join(",");
    if (order !== form.elements.order.value) { form.elements.order.value = order; form.submit(); }
  });
})();
