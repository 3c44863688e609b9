// The image viewer: pan (drag, arrow keys), zoom (wheel, + and -, 0 to fit), window presets (the DICOM
// presets, rendered by the server), brightness and contrast (sliders, on top of the preset), invert, full screen
// (f). It shows the screen-sized rendering at once and loads the zoom tiles of the level the zoom needs, for the
// part in view. No library: a few hundred lines were simpler than fitting a DICOM viewer to a CSP of 'self'.
(function () {
  "use strict";

  function Viewer(root) {
    this.root = root;
    this.stage = root.querySelector(".viewer-stage");
    this.canvas = document.createElement("div");
    this.canvas.className = "viewer-canvas";
    this.stage.appendChild(this.canvas);
    this.base = document.createElement("img");
    this.base.className = "viewer-base";
    this.base.alt = root.dataset.alt || "";
    this.canvas.appendChild(this.base);
    this.tiles = {};
    this.scale = 1; this.x = 0; this.y = 0;
    this.brightness = 100; this.contrast = 100; this.inverted = false;
    this.bind();
    this.load(root.dataset.manifest);
  }

  Viewer.prototype.load = function (url) {
    var self = this;
    return fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (manifest) {
        var first = !self.manifest;
        self.manifest = manifest;
        self.clearTiles();
        self.canvas.style.width = manifest.width + "px";
        self.canvas.style.height = manifest.height + "px";
        self.base.src = manifest.screen;
        self.base.width = manifest.width; self.base.height = manifest.height;
        self.fillPresets(manifest);
        if (first) self.fit(); else self.update();
        self.root.dataset.state = "ready";
        self.root.dataset.preset = manifest.preset;
      })
      .catch(function () { self.root.dataset.state = "error"; });
  };

  Viewer.prototype.fillPresets = function (manifest) {
    var select = this.root.querySelector(".viewer-preset");
    if (!select) return;
    if (!select.options.length) {
      manifest.presets.forEach(function (preset, n) {
        var option = document.createElement("option");
        option.value = preset.url; option.textContent = preset.label;
        select.appendChild(option);
      });
      select.hidden = manifest.presets.length < 2;
    }
    select.selectedIndex = manifest.preset;
  };

  Viewer.prototype.clearTiles = function () {
    var self = this;
    Object.keys(this.tiles).forEach(function (key) { self.canvas.removeChild(self.tiles[key]); });
    this.tiles = {};
  };

  Viewer.prototype.fit = function () {
    var box = this.stage.getBoundingClientRect();
    var m = this.manifest;
    if (!m || !box.width) return;
    this.scale = Math.min(box.width / m.width, box.height / m.height);
    this.x = (box.width - m.width * this.scale) / 2;
    this.y = (box.height - m.height * this.scale) / 2;
    this.update();
  };

  Viewer.prototype.zoom = function (factor, cx, cy) {
    var box = this.stage.getBoundingClientRect();
    if (cx === undefined) { cx = box.width / 2; cy = box.height / 2; }
    var next = Math.max(0.01, Math.min(8, this.scale * factor));
    this.x = cx - (cx - this.x) * (next / this.scale);
    this.y = cy - (cy - this.y) * (next / this.scale);
    this.scale = next;
    this.update();
  };

  Viewer.prototype.pan = function (dx, dy) { this.x += dx; this.y += dy; this.update(); };

  Viewer.prototype.update = function () {
    this.canvas.style.transform = "translate(" + this.x + "px," + this.y + "px) scale(" + this.scale + ")";
    this.canvas.style.filter = "brightness(" + this.brightness + "%) contrast(" + this.contrast + "%)" +
      (this.inverted ? " invert(1)" : "");
    this.root.dataset.zoom = this.scale.toFixed(3);
    this.loadTiles();
  };

  Viewer.prototype.loadTiles = function () {
    var m = this.manifest;
    if (!m) return;
    var screenScale = Math.max(m.width, m.height) > 0 ? this.base.naturalWidth / m.width : 1;
    if (this.scale <= (screenScale || 0.0001)) return;  // the screen rendering is sharp enough
    var level = Math.max(0, Math.min(m.levels.length - 1, Math.floor(Math.log2(1 / this.scale))));
    var span = m.tile * Math.pow(2, level);  // a tile's size in full-size pixels
    var box = this.stage.getBoundingClientRect();
    var left = Math.max(0, -this.x / this.scale), top = Math.max(0, -this.y / this.scale);
    var right = Math.min(m.width, (box.width - this.x) / this.scale);
    var bottom = Math.min(m.height, (box.height - this.y) / this.scale);
    var self = this;
    for (var row = Math.floor(top / span); row * span < bottom; row++) {
      for (var column = Math.floor(left / span); column * span < right; column++) {
        var key = level + "/" + column + "_" + row;
        if (this.tiles[key]) continue;
        var tile = document.createElement("img");
        tile.className = "viewer-tile"; tile.alt = "";
        tile.style.left = column * span + "px"; tile.style.top = row * span + "px";
        tile.style.width = Math.min(span, m.width - column * span) + "px";
        tile.style.height = Math.min(span, m.height - row * span) + "px";
        tile.dataset.level = level;
        tile.src = m.tiles.replace("{level}", level).replace("{column}", column).replace("{row}", row);
        this.canvas.appendChild(tile);
        this.tiles[key] = tile;
      }
    }
    Object.keys(this.tiles).forEach(function (key) {  // tiles of other levels go once these are in
      if (self.tiles[key].dataset.level !== String(level)) { self.canvas.removeChild(self.tiles[key]); delete self.tiles[key]; }
    });
  };

  Viewer.prototype.bind = function () {
    var self = this, root = this.root, dragging = null;
    this.stage.addEventListener("pointerdown", function (event) {
      dragging = { x: event.clientX, y: event.clientY };
      self.stage.setPointerCapture(event.pointerId);
    });
    this.stage.addEventListener("pointermove", function (event) {
      if (!dragging) return;
      self.pan(event.clientX - dragging.x, event.clientY - dragging.y);
      dragging = { x: event.clientX, y: event.clientY };
    });
    this.stage.addEventListener("pointerup", function () { dragging = null; });
    this.stage.addEventListener("wheel", function (event) {
      event.preventDefault();
      var box = self.stage.getBoundingClientRect();
      self.zoom(event.deltaY < 0 ? 1.25 : 0.8, event.clientX - box.left, event.clientY - box.top);
    }, { passive: false });
    function on(selector, type, handler) {
      var element = root.querySelector(selector);
      if (element) element.addEventListener(type, handler);
    }
    on(".viewer-zoom-in", "click", function () { self.zoom(1.5); });
    on(".viewer-zoom-out", "click", function () { self.zoom(1 / 1.5); });
    on(".viewer-fit", "click", function () { self.fit(); });
    on(".viewer-invert", "click", function () { self.inverted = !self.inverted; self.update(); });
    on(".viewer-full", "click", function () { self.fullScreen(); });
    on(".viewer-preset", "change", function (event) { self.load(event.target.value); });
    on(".viewer-brightness", "input", function (event) { self.brightness = Number(event.target.value); self.update(); });
    on(".viewer-contrast", "input", function (event) { self.contrast = Number(event.target.value); self.update(); });
    root.addEventListener("keydown", function (event) {
      if (/^(INPUT|SELECT|TEXTAREA)$/.test(event.target.tagName) || event.ctrlKey || event.metaKey || event.altKey) return;
      var handled = true;
      switch (event.key) {
        case "+": case "=": self.zoom(1.5); break;
        case "-": self.zoom(1 / 1.5); break;
        case "0": self.fit(); break;
        case "ArrowLeft": self.pan(60, 0); break;
        case "ArrowRight": self.pan(-60, 0); break;
        case "ArrowUp": self.pan(0, 60); break;
        case "ArrowDown": self.pan(0, -60); break;
        case "f": self.fullScreen(); break;
        case "i": self.inverted = !self.inverted; self.update(); break;
        default: handled = false;
      }
      if (handled) { event.preventDefault(); event.stopPropagation(); }
    });
    document.addEventListener("fullscreenchange", function () { self.fit(); });
    window.addEventListener("resize", function () { self.update(); });
  };

  Viewer.prototype.fullScreen = function () {
    if (document.fullscreenElement) document.exitFullscreen();
    else if (this.root.requestFullscreen) this.root.requestFullscreen();
  };

  function start(scope) {
    Array.prototype.forEach.call((scope || document).querySelectorAll(".viewer:not([data-state])"), function (root) {
      root.dataset.state = "loading";
      new Viewer(root);
    });
  }
  window.conferenceViewer = { start: start };
  start(document);
})();
