// Landmarks on a long-leg radiograph: click on the picture to place the landmark chosen in the list (then the
// next empty one is chosen), drag a point to move it, keyboard for all of it. Points are kept in the form's
// inputs as "x, y" in the original image's pixels, so the form works without this script too.
(function () {
  "use strict";
  var root = document.getElementById("measure");
  if (!root) return;
  var columns = parseFloat(root.dataset.columns);
  var rows = parseFloat(root.dataset.rows);
  var canvas = document.getElementById("measure-canvas");
  var image = document.getElementById("measure-image");
  var overlay = document.getElementById("measure-overlay");
  var status = document.getElementById("measure-current");
  var SVG = "http://www.w3.org/2000/svg";

  // The stage holds the picture and the overlay, so both scale together when zooming.
  var stage = document.createElement("div");
  stage.className = "measure__stage";
  canvas.insertBefore(stage, image);
  stage.appendChild(image);
  stage.appendChild(overlay);

  var items = Array.prototype.slice.call(root.querySelectorAll("[data-landmark]"));
  var targets = items.map(function (item) {
    var input = item.querySelector("input");
    var label = item.querySelector("label");
    return { name: item.dataset.landmark, item: item, input: input, label: label ? label.textContent.trim() : "" };
  });
  var byName = {};
  targets.forEach(function (t) { byName[t.name] = t; });
  var current = 0;
  var zoom = 1;

  function sizes() {
    if (!columns || !rows) { columns = image.naturalWidth; rows = image.naturalHeight; }
    // The picture shown is a rendering whose size is rounded: the stage keeps the original's proportions, so a
    // point on the screen maps to the same pixel of the original horizontally and vertically.
    stage.style.aspectRatio = columns + " / " + rows;
    overlay.setAttribute("viewBox", "0 0 " + columns + " " + rows);
    overlay.setAttribute("preserveAspectRatio", "none");
  }

  function read(target) {
    var parts = (target.input.value || "").split(/[,;]/);
    if (parts.length !== 2) return null;
    var x = parseFloat(parts[0]), y = parseFloat(parts[1]);
    return isFinite(x) && isFinite(y) ? [x, y] : null;
  }

  function write(target, point) {
    target.input.value = point ? point[0].toFixed(1) + ", " + point[1].toFixed(1) : "";
    draw();
  }

  function choose(index) {
    current = (index + targets.length) % targets.length;
    draw();
    status.textContent = targets[current].label;
  }

  function pixelsPerScreen() { return columns / (image.getBoundingClientRect().width || 1); }

  function line(a, b, kind) {
    var pa = byName[a] && read(byName[a]), pb = byName[b] && read(byName[b]);
    if (!pa || !pb) return;
    var l = document.createElementNS(SVG, "line");
    l.setAttribute("x1", pa[0]); l.setAttribute("y1", pa[1]);
    l.setAttribute("x2", pb[0]); l.setAttribute("y2", pb[1]);
    l.setAttribute("class", kind);
    overlay.appendChild(l);
  }

  function draw() {
    while (overlay.firstChild) overlay.removeChild(overlay.firstChild);
    ["right", "left"].forEach(function (side) {
      var knee = byName[side + "_knee_tibia"] && read(byName[side + "_knee_tibia"]) ? "_knee_tibia" : "_knee_femur";
      line(side + "_hip", side + "_ankle", "axis");
      line(side + "_hip", side + "_knee_femur", "bone");
      line(side + knee, side + "_ankle", "bone");
      line(side + "_hip", side + "_trochanter", "bone");
      line(side + "_femur_joint_medial", side + "_femur_joint_lateral", "joint");
      line(side + "_tibia_joint_medial", side + "_tibia_joint_lateral", "joint");
      line(side + "_plafond_medial", side + "_plafond_lateral", "joint");
    });
    line("marker_a", "marker_b", "joint");
    var radius = 7 * pixelsPerScreen();
    targets.forEach(function (target, index) {
      var point = read(target);
      target.item.classList.toggle("is-current", index === current);
      target.item.classList.toggle("is-placed", !!point);
      if (!point) return;
      var c = document.createElementNS(SVG, "circle");
      c.setAttribute("cx", point[0]); c.setAttribute("cy", point[1]); c.setAttribute("r", radius);
      c.setAttribute("data-index", index);
      if (index === current) c.setAttribute("class", "is-current");
      var title = document.createElementNS(SVG, "title");
      title.textContent = target.label;
      c.appendChild(title);
      overlay.appendChild(c);
    });
  }

  function at(event) {
    var box = image.getBoundingClientRect();
    return [(event.clientX - box.left) / box.width * columns, (event.clientY - box.top) / box.height * rows];
  }

  function nextEmpty() {
    for (var step = 1; step <= targets.length; step++) {
      var index = (current + step) % targets.length;
      if (!read(targets[index]) && targets[index].item.offsetParent !== null) return index;
    }
    return current;
  }

  // A press on a point that moves drags it; a press that does not is a click, which places the chosen landmark
  // there (landmarks a few pixels apart, such as the two joint lines at the knee, stay placeable).
  var pressed = null, dragging = null, dragged = false;
  overlay.addEventListener("pointerdown", function (event) {
    if (event.target.tagName !== "circle") return;
    pressed = { index: parseInt(event.target.getAttribute("data-index"), 10), x: event.clientX, y: event.clientY };
    overlay.setPointerCapture(event.pointerId);
    event.preventDefault();
  });
  overlay.addEventListener("pointermove", function (event) {
    if (pressed && dragging === null && Math.abs(event.clientX - pressed.x) + Math.abs(event.clientY - pressed.y) > 3) {
      dragging = pressed.index;
      choose(dragging);
    }
    if (dragging !== null) write(targets[dragging], at(event));
  });
  overlay.addEventListener("pointerup", function () {
    dragged = dragging !== null;
    pressed = null;
    dragging = null;
  });
  canvas.addEventListener("click", function (event) {
    if (dragged) { dragged = false; return; }
    write(targets[current], at(event));
    choose(nextEmpty());
    canvas.focus({ preventScroll: true });
  });

  function setZoom(value) {
    zoom = Math.max(1, Math.min(16, value));
    stage.style.width = zoom * 100 + "%";
    draw();
  }
  document.getElementById("measure-zoom-in").addEventListener("click", function () { setZoom(zoom * 1.5); });
  document.getElementById("measure-zoom-out").addEventListener("click", function () { setZoom(zoom / 1.5); });

  canvas.addEventListener("keydown", function (event) {
    var target = targets[current], point = read(target);
    var step = event.shiftKey ? 10 : 1;
    var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key] && point) {
      write(target, [point[0] + moves[event.key][0], point[1] + moves[event.key][1]]);
    } else if (event.key === "n" || event.key === "N") {
      choose(current + 1);
    } else if (event.key === "p" || event.key === "P") {
      choose(current - 1);
    } else if (event.key === "Delete" || event.key === "Backspace") {
      write(target, null);
    } else if (event.key === "+" || event.key === "=") {
      setZoom(zoom * 1.5);
    } else if (event.key === "-") {
      setZoom(zoom / 1.5);
    } else {
      return;
    }
    event.preventDefault();
  });

  targets.forEach(function (target, index) {
    target.input.addEventListener("input", draw);
    target.input.addEventListener("focus", function () { choose(index); });
  });

  function start() { sizes(); choose(read(targets[0]) ? nextEmpty() : 0); }
  if (image.complete) start(); else image.addEventListener("load", start);
  window.addEventListener("resize", draw);
})();
