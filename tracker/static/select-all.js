// "Select every entry on this page": one box ticks or clears every box of that name in its form.
// Without scripts the page works as before (the box stays hidden; each entry is ticked alone).
document.querySelectorAll("input[data-select-all]").forEach(function (all) {
  var form = all.form;
  var name = all.getAttribute("data-select-all");
  var boxes = function () {
    return Array.prototype.slice.call(form.querySelectorAll('input[name="' + name + '"]'));
  };
  var holder = all.closest("[hidden]");
  if (holder) {
    holder.hidden = false;
  }
  all.addEventListener("change", function () {
    boxes().forEach(function (box) { box.checked = all.checked; });
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === name) {
      var list = boxes();
      all.checked = list.length > 0 && list.every(function (box) { return box.checked; });
    }
  });
});
