/* nnunet_wmh: the report page's slice viewer. A click on a case ([data-view]) opens it in NiiVue, which is loaded
   when the pointer first rests on a case (or at the first click); a case's files are read only when it is opened. The page's data: the JSON block
   #nnunet-wmh-viewer-data written by nnunet_wmh/report/viewer.py. No network: every path is relative to the page. */
(function () {
  "use strict";

  var block = document.getElementById("nnunet-wmh-viewer-data");
  if (!block) return;
  var data = JSON.parse(block.textContent);
  var F = {};
  data.fields.forEach(function (name, i) { F[name] = i; });
  var caseIndex = {};
  data.cases.forEach(function (row, i) { caseIndex[row[F.case]] = i; });
  var NOTES_KEY = "nnunet_wmh notes " + location.pathname;
  var LOCAL_HINT = "This browser does not let a page opened from disk read the images it shows: run " +
    "`nnunet_wmh view DIR` on the report folder (or `python -m http.server` in a folder that holds the page " +
    "and its images) and open the address it prints.";
  var SLICES = { axial: 0, coronal: 1, sagittal: 2, multiplanar: 3 };

  // What the viewer shows now; read by the tests and the benchmark (window.nnunetWmhViewer.state).
  var state = { index: -1, loaded: false, seconds: null, timings: {}, error: null, layers: [], token: 0 };
  var ui = null, nv = null, nvReady = null, niivueScript = null, warming = null, sliceType = SLICES.axial;

  // ---- helpers ---------------------------------------------------------------------------------------------------

  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function encodePath(path) {
    return path.split("/").map(function (part) { return part === ".." || part === "." ? part : encodeURIComponent(part); }).join("/");
  }

  function filePath(entry) {
    var folder = data.folders[entry[0]];
    return folder ? folder + "/" + entry[1] : entry[1];
  }

  function colour(i) { // distinct colours: golden-angle hues, none near the lesions' red
    var h = (60 + i * 137.508) % 360;
    if (h < 30 || h > 330) h = (h + 60) % 360;
    h /= 60;
    var s = 0.7, l = 0.55;
    var c = (1 - Math.abs(2 * l - 1)) * s, x = c * (1 - Math.abs(h % 2 - 1)), m = l - c / 2;
    var rgb = [[c, x, 0], [x, c, 0], [0, c, x], [0, x, c], [x, 0, c], [c, 0, x]][Math.floor(h) % 6];
    return rgb.map(function (v) { return Math.round((v + m) * 255); });
  }

  var regionValues = Object.keys(data.names).map(Number).sort(function (a, b) { return a - b; });
  var regionColours = {};
  (function () {
    var byName = {};
    regionValues.forEach(function (value) {
      var name = data.names[value];
      if (!(name in byName)) byName[name] = name === "outside_regions" ? [150, 150, 150] : colour(Object.keys(byName).length);
      regionColours[value] = byName[name];
    });
  })();

  function isLesionValue(value) {
    return data.lesion.ranges.some(function (r) { return value >= r[0] && value <= r[1]; });
  }

  // ---- loading ---------------------------------------------------------------------------------------------------

  function loadNiivue() {
    if (window.niivue) return Promise.resolve(window.niivue);
    if (!niivueScript) {
      niivueScript = new Promise(function (resolve, reject) {
        var script = el("script", { src: data.niivue });
        script.onload = function () { resolve(window.niivue); };
        script.onerror = function () {
          reject(new Error(data.niivue + " could not be loaded; the report's viewer folder is missing or damaged."));
        };
        document.head.appendChild(script);
      });
    }
    return niivueScript;
  }

  function readFile(path) { // XMLHttpRequest: it also reads local files where a browser allows it (Safari)
    return new Promise(function (resolve, reject) {
      var request = new XMLHttpRequest();
      request.open("GET", encodePath(path));
      request.responseType = "arraybuffer";
      request.onload = function () {
        if (request.status === 200 || (request.status === 0 && request.response && request.response.byteLength)) {
          resolve(request.response);
        } else {
          reject(new Error(path + " could not be read (HTTP " + request.status + "): was it moved or deleted since " +
            "the report was written?"));
        }
      };
      request.onerror = function () {
        reject(new Error(location.protocol === "file:" ? LOCAL_HINT : path + " could not be read."));
      };
      request.send();
    });
  }

  function layerList(files) { // [{kind, path}] in drawing order: images, regions, lesions on top
    var layers = [];
    if (files.image) layers.push({ kind: "image", path: filePath(files.image), shown: true });
    (files.others || []).forEach(function (entry) { // read when first shown: most reviews need the FLAIR only
      layers.push({ kind: "image", path: filePath(entry), shown: false, later: true });
    });
    var regions = files.regions ? filePath(files.regions) : (data.joint && files.lesions ? filePath(files.lesions) : null);
    if (regions) layers.push({ kind: "regions", path: regions, shown: true, opacity: 0.35 });
    if (files.lesions) layers.push({ kind: "lesions", path: filePath(files.lesions), shown: true, opacity: 0.85 });
    return layers;
  }

  function labelColourmap(values, colours, names) {
    var cm = { R: [0], G: [0], B: [0], A: [0], I: [0], labels: [""] };
    values.forEach(function (value) {
      if (value === 0) return;
      var rgb = colours(value);
      cm.R.push(rgb[0]); cm.G.push(rgb[1]); cm.B.push(rgb[2]); cm.A.push(rgb[3] === undefined ? 255 : rgb[3]);
      cm.I.push(value); cm.labels.push(names ? names(value) : "");
    });
    return cm;
  }

  var LABEL_LEVELS = 255; // NiiVue draws a label map through 256 levels

  function compactLabels(volume) { // region ids above 255 renumbered 1..n in the drawn copy; ids[k]: the id drawn as k
    var top = regionValues[regionValues.length - 1] || 0;
    if (top <= LABEL_LEVELS) return null;
    var rank = new Uint16Array(top + 1), img = volume.img;
    regionValues.forEach(function (value, i) { rank[value] = i + 1; });
    for (var i = 0; i < img.length; i++) img[i] = img[i] > 0 && img[i] <= top ? rank[img[i]] : 0;
    volume.calMinMax();
    return [0].concat(regionValues);
  }

  function regionId(layer, value) { return layer.ids ? layer.ids[value] || 0 : value; }

  function lesionColourmap(volume) { // every value up to the map's largest: lesion values red, the others clear
    var values = [], top = Math.min(LABEL_LEVELS, Math.max(1, Math.round(volume.global_max || 1)));
    for (var v = 1; v <= top; v++) values.push(v);
    return labelColourmap(values, function (value) { return isLesionValue(value) ? [255, 30, 30, 255] : [0, 0, 0, 0]; });
  }

  function isFloat(volume) {
    return volume.hdr && (volume.hdr.datatypeCode === 16 || volume.hdr.datatypeCode === 64);
  }

  function styleLayers(layers) {
    layers.forEach(function (layer) {
      var volume = layer.volume;
      if (!volume) return;
      volume.name = layer.path.split("/").pop();
      if (layer.kind === "regions") {
        layer.ids = compactLabels(volume);
        var drawn = layer.ids ? layer.ids.map(function (id, k) { return k; }) : regionValues;
        volume.setColormapLabel(labelColourmap(drawn, function (v) { return regionColours[regionId(layer, v)]; },
          function (v) { return data.names[regionId(layer, v)]; }));
      } else if (layer.kind === "lesions") {
        if (isFloat(volume)) {
          volume.colormap = "red"; // a probability map: clear below the threshold, full red from it on
          volume.cal_min = data.lesion.threshold * 0.999;
          volume.cal_max = data.lesion.threshold;
        } else {
          volume.setColormapLabel(lesionColourmap(volume));
        }
      }
      volume.opacity = layer.shown ? (layer.opacity || 1) : 0;
    });
  }

  function ensureNiivue() { // one NiiVue for the page, on the panel's canvas
    if (!nvReady) {
      nvReady = loadNiivue().then(async function (library) {
        nv = new library.Niivue({
          backColor: [0, 0, 0, 1], show3Dcrosshair: false, isColorbar: false, dragAndDropEnabled: false,
          logLevel: "error", crosshairColor: [0.2, 0.8, 1, 0.7], crosshairWidth: 0.25, crosshairWidthUnit: "percent",
          multiplanarForceRender: false, isNearestInterpolation: true, loadingText: "loading…"
        });
        await nv.attachToCanvas(ui.canvas);
        nv.onLocationChange = function () { showWhere(nv.scene.crosshairPos, "crosshair"); };
        return nv;
      });
      nvReady.catch(function () { nvReady = null; }); // tried again at the next opening
    }
    return nvReady;
  }

  function tinyNifti(datatype, bitpix, values) { // a 2×2×2 NIfTI-1 image of 1 mm voxels
    var buffer = new ArrayBuffer(352 + values.length * bitpix / 8), view = new DataView(buffer);
    view.setInt32(0, 348, true);
    [3, 2, 2, 2, 1, 1, 1, 1].forEach(function (d, i) { view.setInt16(40 + 2 * i, d, true); });
    view.setInt16(70, datatype, true);
    view.setInt16(72, bitpix, true);
    [1, 1, 1, 1].forEach(function (v, i) { view.setFloat32(76 + 4 * i, v, true); });
    view.setFloat32(108, 352, true);
    view.setFloat32(112, 1, true);
    view.setInt16(254, 1, true);
    [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]].forEach(function (row, r) {
      row.forEach(function (v, c) { view.setFloat32(280 + 16 * r + 4 * c, v, true); });
    });
    "n+1".split("").forEach(function (ch, i) { view.setUint8(344 + i, ch.charCodeAt(0)); });
    values.forEach(function (v, i) { if (bitpix === 32) view.setFloat32(352 + 4 * i, v, true); else view.setUint8(352 + i, v); });
    return buffer;
  }

  function warmUp() { // at the first pointer on a case: NiiVue loaded, its shaders compiled, before the click
    if (warming || !("WebGL2RenderingContext" in window)) return;
    build();
    if (state.token > 0) return; // a case was opened already: nothing left to warm up
    var token = state.token;
    warming = ensureNiivue().then(function () {
      return Promise.all([decode(tinyNifti(16, 32, [0, 1, 2, 3, 4, 5, 6, 7]), "warm.nii"),
        decode(tinyNifti(2, 8, [0, 1, 0, 1, 0, 1, 0, 1]), "warm_labels.nii")]);
    }).then(function (volumes) {
      if (token !== state.token || !ui.panel.hidden) return; // a case was opened meanwhile
      volumes[1].setColormapLabel(lesionColourmap(volumes[1]));
      ui.panel.classList.add("nwv-warming");
      ui.panel.hidden = false; // drawn, unseen: the canvas needs a size
      show(volumes);
      nv.drawScene();
      ui.panel.classList.remove("nwv-warming");
      ui.panel.hidden = true;
    }).catch(function () {}); // a failure shows when a case is opened
  }

  async function open(index) {
    if (index < 0 || index >= data.cases.length) return;
    build();
    var token = ++state.token, started = performance.now();
    state.index = index; state.loaded = false; state.error = null; state.seconds = null; state.layers = [];
    var row = data.cases[index], files = row[F.files];
    ui.panel.hidden = false;
    document.body.classList.add("nwv-open");
    showCase(row);
    history.replaceState(null, "", "#view-" + encodeURIComponent(row[F.case]));
    status("loading " + row[F.case] + " …");
    try {
      if (!("WebGL2RenderingContext" in window)) throw new Error("This browser has no WebGL2, which the viewer needs.");
      var layers = layerList(files);
      if (!layers.length) throw new Error("The report lists no image of " + row[F.case] + " to show.");
      state.timings = {};
      await loadLayers(layers, token, function (name) { state.timings[name] = (performance.now() - started) / 1000; });
      if (token !== state.token) return;
      state.layers = layers;
      nv.setSliceType(sliceType);
      focus(row[F.focus]);
      showLayers(layers);
      showWindow();
      showLegend(layers);
      nv.drawScene();
      nv.gl.readPixels(0, 0, 1, 1, nv.gl.RGBA, nv.gl.UNSIGNED_BYTE, new Uint8Array(4)); // waits for the drawing
      state.seconds = (performance.now() - started) / 1000;
      state.timings.drawn = state.seconds;
      state.loaded = true;
      status("");
    } catch (error) {
      if (token !== state.token) return;
      state.error = String(error && error.message || error);
      status(state.error, true);
    }
  }

  function decode(buffer, path) { // a NIfTI file as a NiiVue image, not yet drawn
    return window.niivue.NVImage.loadFromUrl({ url: buffer, name: path.split("/").pop() });
  }

  function show(volumes) { // the layers to draw, bottom first: one refresh of NiiVue's textures for them all
    nv.volumes = volumes;
    nv.back = volumes[0];
    nv.overlays = volumes.slice(1);
    nv.updateGLVolume();
  }

  async function loadLayers(layers, token, mark) { // each file read and decoded once; a second layer of it is a copy
    var first = {}, decoded = [];
    layers.forEach(function (layer) {
      if (!layer.later && !(layer.path in first)) { first[layer.path] = layer; decoded.push(layer); }
    });
    var files = Promise.all(decoded.map(function (l) { return readFile(l.path); })).then(function (read) {
      mark("files read");
      return read;
    });
    var buffers = (await Promise.all([ensureNiivue().then(function () { mark("NiiVue ready"); }), files]))[1];
    var volumes = await Promise.all(decoded.map(function (layer, i) { return decode(buffers[i], layer.path); }));
    if (token !== state.token) return;
    mark("decoded");
    decoded.forEach(function (layer, i) { layer.volume = volumes[i]; });
    layers.forEach(function (layer) {
      if (!layer.later && !layer.volume) layer.volume = first[layer.path].volume.clone();
    });
    styleLayers(layers);
    show(layers.filter(function (l) { return l.volume; }).map(function (l) { return l.volume; }));
    mark("uploaded");
  }

  async function loadLater(layer) { // an image left out at first (a T1), read when first shown
    var token = state.token;
    layer.later = false;
    status("loading " + layer.path.split("/").pop() + " …");
    try {
      var volume = await decode(await readFile(layer.path), layer.path);
      if (token !== state.token) return;
      layer.volume = volume;
      styleLayers([layer]);
      show(state.layers.filter(function (l) { return l.volume; }).map(function (l) { return l.volume; }));
      status("");
    } catch (error) {
      layer.later = true;
      status(String(error && error.message || error), true);
    }
  }

  function focus(mm) {
    if (!mm) return;
    var frac = nv.mm2frac(mm, 0, true); // true: the image's own affine, oblique or not
    if (frac.every(function (f) { return f >= 0 && f <= 1; })) {
      nv.scene.crosshairPos = frac;
      nv.drawScene();
      showWhere(frac, "crosshair");
    }
  }

  // ---- what is under the mouse -----------------------------------------------------------------------------------

  function valuesAt(frac) {
    var mm = nv.frac2mm(frac, 0, true), found = {};
    state.layers.forEach(function (layer) {
      if (!layer.volume) return;
      var volume = layer.volume, vox = volume.mm2vox([mm[0], mm[1], mm[2]]);
      var inside = [1, 2, 3].every(function (d, i) { return vox[i] >= 0 && vox[i] < volume.hdr.dims[d]; });
      if (!inside || found[layer.kind] !== undefined) return;
      found[layer.kind] = volume.getValue(vox[0], vox[1], vox[2]);
    });
    return found;
  }

  function showWhere(frac, how) {
    if (!state.loaded && how !== "crosshair") return;
    if (!frac || frac[0] < 0 || !state.layers.length) return;
    var found = valuesAt(frac), parts = [];
    var regionsLayer = state.layers.filter(function (l) { return l.kind === "regions"; })[0];
    var region = found.regions === undefined ? undefined : regionId(regionsLayer, Math.round(found.regions));
    if (region !== undefined) parts.push("region: " + (data.names[region] || (region ? "value " + region : "none")));
    if (found.lesions !== undefined) {
      var lesionLayer = state.layers.filter(function (l) { return l.kind === "lesions"; })[0];
      var lesion = isFloat(lesionLayer.volume)
        ? found.lesions >= data.lesion.threshold : isLesionValue(Math.round(found.lesions));
      parts.push(lesion ? "lesion" : "no lesion");
    }
    if (found.image !== undefined) parts.push("intensity " + Number(found.image.toPrecision(4)));
    ui.where.textContent = (how === "hover" ? "" : "crosshair · ") + parts.join(" · ");
    ui.where.dataset.region = region !== undefined ? (data.names[region] || "") : "";
  }

  function onHover(event) {
    if (!nv || !state.loaded) return;
    var rect = ui.canvas.getBoundingClientRect(), dpr = nv.uiData.dpr || window.devicePixelRatio || 1;
    var frac = nv.canvasPos2frac([(event.clientX - rect.left) * dpr, (event.clientY - rect.top) * dpr]);
    if (frac[0] < 0) return;
    showWhere(frac, "hover");
  }

  // ---- the panel -------------------------------------------------------------------------------------------------

  function build() {
    if (ui) return;
    var panel = el("div", { id: "nwv", class: "nwv", role: "dialog", "aria-label": "slice viewer" });
    panel.hidden = true;
    panel.innerHTML =
      '<div class="nwv-box"><div class="nwv-bar">' +
      '<button type="button" data-act="prev" title="previous case (p)">&#9664;</button>' +
      '<strong class="nwv-title"></strong>' +
      '<button type="button" data-act="next" title="next case (n)">&#9654;</button>' +
      '<label class="nwv-check"><input type="checkbox" data-act="flagged"> flagged cases only</label>' +
      '<span class="nwv-gap"></span>' +
      '<button type="button" data-slice="axial">axial</button><button type="button" data-slice="coronal">coronal</button>' +
      '<button type="button" data-slice="sagittal">sagittal</button>' +
      '<button type="button" data-slice="multiplanar">3 planes</button>' +
      '<span class="nwv-gap"></span>' +
      '<button type="button" data-act="zoom-in" title="zoom in">+</button>' +
      '<button type="button" data-act="zoom-out" title="zoom out">&minus;</button>' +
      '<button type="button" data-act="zoom-reset" title="fit">fit</button>' +
      '<span class="nwv-gap"></span><button type="button" data-act="close" title="close (Esc)">&#10005;</button></div>' +
      '<div class="nwv-stage"><canvas></canvas><div class="nwv-status" role="status"></div></div>' +
      '<aside class="nwv-side"><p class="nwv-where" aria-live="polite">move the mouse over the image</p>' +
      '<table class="nwv-figures"></table><p class="nwv-flag"></p>' +
      "<h4>Layers</h4><div class=\"nwv-layers\"></div>" +
      '<h4>Contrast of the image</h4><div class="nwv-window"><input type="number" data-window="min" aria-label="window minimum"> ' +
      'to <input type="number" data-window="max" aria-label="window maximum"> ' +
      '<button type="button" data-act="window-reset">reset</button></div>' +
      '<h4>Regions in this case</h4><div class="nwv-legend"></div>' +
      '<h4>Review note</h4><textarea class="nwv-note" rows="3" placeholder="why this case needs a second look (kept in this browser)"></textarea>' +
      '<p><button type="button" data-act="export">export notes (TSV)</button> <span class="nwv-count"></span></p>' +
      '<p class="nwv-help">wheel: scroll slices · click: move the crosshair · right drag: contrast from a box · ' +
      "middle drag: pan · n / p: next / previous case · Esc: close</p></aside></div>";
    document.body.appendChild(panel);
    ui = {
      panel: panel, canvas: panel.querySelector("canvas"), title: panel.querySelector(".nwv-title"),
      status: panel.querySelector(".nwv-status"), where: panel.querySelector(".nwv-where"),
      figures: panel.querySelector(".nwv-figures"), flag: panel.querySelector(".nwv-flag"),
      layers: panel.querySelector(".nwv-layers"), legend: panel.querySelector(".nwv-legend"),
      note: panel.querySelector(".nwv-note"), count: panel.querySelector(".nwv-count"),
      flagged: panel.querySelector('[data-act="flagged"]'),
      windowMin: panel.querySelector('[data-window="min"]'), windowMax: panel.querySelector('[data-window="max"]')
    };
    panel.addEventListener("click", onPanelClick);
    ui.canvas.addEventListener("mousemove", onHover);
    ui.note.addEventListener("input", saveNote);
    ui.windowMin.addEventListener("change", setWindow);
    ui.windowMax.addEventListener("change", setWindow);
  }

  function status(text, isError) {
    ui.status.textContent = text;
    ui.status.className = "nwv-status" + (isError ? " nwv-error" : "");
    ui.status.hidden = !text;
  }

  function showCase(row) {
    var who = [row[F.participant_id], row[F.session_id]].filter(function (v) { return v && v !== "n/a"; });
    ui.title.textContent = row[F.case] + (who.length ? " (" + who.join(", ") + ")" : "") +
      " · " + (state.index + 1) + " / " + data.cases.length;
    ui.figures.innerHTML = "";
    data.figures.forEach(function (label, i) {
      var value = row[F.figures][i];
      if (value === "n/a") return;
      var tr = el("tr");
      tr.appendChild(el("th", {}, label));
      tr.appendChild(el("td", {}, value));
      ui.figures.appendChild(tr);
    });
    ui.flag.textContent = row[F.flag] ? "⚑ " + row[F.flag] : "not flagged";
    ui.flag.className = "nwv-flag" + (row[F.flag] ? " nwv-flagged" : "");
    ui.note.value = notes()[row[F.case]] || "";
    ui.layers.innerHTML = ""; ui.legend.innerHTML = "";
    ui.where.textContent = "move the mouse over the image";
    ui.where.dataset.region = "";
    countNotes();
  }

  function showLayers(layers) {
    ui.layers.innerHTML = "";
    layers.forEach(function (layer) {
      var line = el("div", { class: "nwv-layer" });
      var toggle = el("input", { type: "checkbox", "aria-label": "show " + layer.path });
      toggle.checked = layer.shown;
      var slider = el("input", { type: "range", min: "0", max: "1", step: "0.05", "aria-label": "opacity of " + layer.path });
      slider.value = String(layer.opacity || 1);
      var name = el("span", { class: "nwv-layer-name", title: layer.path }, layer.kind + ": " + layer.path.split("/").pop());
      function apply() {
        layer.shown = toggle.checked;
        layer.opacity = Number(slider.value);
        if (layer.later && layer.shown) return loadLater(layer);
        if (!layer.volume) return;
        layer.volume.opacity = layer.shown ? layer.opacity : 0;
        nv.updateGLVolume();
      }
      toggle.addEventListener("change", apply);
      slider.addEventListener("input", function () { toggle.checked = true; apply(); });
      line.appendChild(toggle); line.appendChild(name); line.appendChild(slider);
      ui.layers.appendChild(line);
    });
  }

  function background() {
    var found = state.layers.filter(function (l) { return l.kind === "image" && l.volume; });
    return found.length ? found[0].volume : null;
  }

  function showWindow() {
    var volume = background();
    ui.windowMin.disabled = ui.windowMax.disabled = !volume;
    if (!volume) return;
    ui.windowMin.value = Number(volume.cal_min.toPrecision(4));
    ui.windowMax.value = Number(volume.cal_max.toPrecision(4));
  }

  function setWindow() {
    var volume = background();
    if (!volume) return;
    volume.cal_min = Number(ui.windowMin.value);
    volume.cal_max = Number(ui.windowMax.value);
    nv.updateGLVolume();
  }

  function showLegend(layers) {
    var regions = layers.filter(function (l) { return l.kind === "regions"; })[0];
    if (!regions || !regions.volume || !regions.volume.img) return;
    var img = regions.volume.img, top = regions.ids ? regions.ids.length - 1 : regionValues[regionValues.length - 1];
    var present = new Uint8Array((top || 0) + 1), names = {};
    for (var i = 0; i < img.length; i++) if (img[i] < present.length) present[img[i]] = 1;
    present.forEach(function (seen, value) {
      var id = regionId(regions, value);
      if (seen && id && data.names[id] !== undefined) names[data.names[id]] = regionColours[id];
    });
    Object.keys(names).forEach(function (name) {
      var item = el("span", { class: "nwv-swatch" }, name);
      item.style.borderLeftColor = "rgb(" + names[name].join(",") + ")";
      ui.legend.appendChild(item);
    });
  }

  // ---- notes -----------------------------------------------------------------------------------------------------

  function notes() {
    try { return JSON.parse(localStorage.getItem(NOTES_KEY) || "{}"); } catch (error) { return {}; }
  }

  function saveNote() {
    var all = notes(), key = data.cases[state.index][F.case], text = ui.note.value.trim();
    if (text) all[key] = ui.note.value; else delete all[key];
    try { localStorage.setItem(NOTES_KEY, JSON.stringify(all)); } catch (error) { status("notes cannot be kept: " + error, true); }
    countNotes();
  }

  function countNotes() {
    var count = Object.keys(notes()).length;
    ui.count.textContent = count ? count + " case(s) with a note" : "";
  }

  function notesTsv() {
    var all = notes(), clean = function (text) { return String(text || "").replace(/[\t\r\n]+/g, " ").trim(); };
    var lines = ["case\tparticipant_id\tsession_id\tnote"];
    data.cases.forEach(function (row) {
      var note = all[row[F.case]];
      if (note) lines.push([row[F.case], row[F.participant_id], row[F.session_id], note].map(clean).join("\t"));
    });
    return lines.join("\n") + "\n";
  }

  function exportNotes() {
    var link = el("a", { download: "review_notes.tsv" });
    link.href = URL.createObjectURL(new Blob([notesTsv()], { type: "text/tab-separated-values" }));
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }

  // ---- navigation ------------------------------------------------------------------------------------------------

  function step(direction) {
    var i = state.index;
    for (var n = 0; n < data.cases.length; n++) {
      i = (i + direction + data.cases.length) % data.cases.length;
      if (!ui.flagged.checked || data.cases[i][F.flag]) return open(i);
    }
  }

  function close() {
    if (!ui) return;
    ui.panel.hidden = true;
    document.body.classList.remove("nwv-open");
    state.token++;
    history.replaceState(null, "", location.pathname + location.search);
  }

  function zoom(factor) {
    var pan = nv.scene.pan2Dxyzmm.slice();
    pan[3] = factor ? Math.min(8, Math.max(0.5, pan[3] * factor)) : 1;
    if (!factor) pan[0] = pan[1] = pan[2] = 0;
    nv.setPan2Dxyzmm(pan);
  }

  function onPanelClick(event) {
    var target = event.target.closest("[data-act], [data-slice]");
    if (!target) return;
    var act = target.getAttribute("data-act"), slice = target.getAttribute("data-slice");
    if (slice && nv) { sliceType = SLICES[slice]; nv.setSliceType(sliceType); }
    if (act === "prev") step(-1);
    if (act === "next") step(1);
    if (act === "close") close();
    if (act === "export") exportNotes();
    if (act === "window-reset" && background()) { var v = background(); v.cal_min = v.robust_min; v.cal_max = v.robust_max; nv.updateGLVolume(); showWindow(); }
    if (nv && act === "zoom-in") zoom(1.25);
    if (nv && act === "zoom-out") zoom(0.8);
    if (nv && act === "zoom-reset") zoom(0);
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-view]");
    if (!target || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    var index = caseIndex[target.getAttribute("data-view")];
    if (index === undefined) return;
    event.preventDefault();
    open(index);
  });

  ["pointerover", "focusin"].forEach(function (type) {
    document.addEventListener(type, function (event) { if (event.target.closest("[data-view]")) warmUp(); });
  });

  // Once the page has loaded and the browser is idle, NiiVue is loaded and warmed up too (the cohort page itself is
  // drawn first; no case's file is read): the first case opens as fast as after a pointer rested on it.
  window.addEventListener("load", function () {
    var idle = window.requestIdleCallback || function (callback) { return setTimeout(callback, 300); };
    idle(function () { warmUp(); }, {timeout: 2000});
  });

  document.addEventListener("keydown", function (event) {
    if (!ui || ui.panel.hidden || event.ctrlKey || event.metaKey || event.altKey) return;
    var typing = event.target.tagName === "TEXTAREA" || event.target.tagName === "SELECT" ||
      (event.target.tagName === "INPUT" && /^(text|number|search)$/.test(event.target.type));
    if (typing) return; // n and p are letters of a note
    if (event.key === "n") step(1);
    else if (event.key === "p") step(-1);
    else if (event.key === "Escape") close();
  });

  window.nnunetWmhViewer = {
    open: function (which) { return open(typeof which === "number" ? which : caseIndex[which]); },
    close: close, state: state, data: data, notesTsv: notesTsv,
    niivue: function () { return nv; }
  };

  var linked = /^#view-(.+)$/.exec(location.hash);
  if (linked && caseIndex[decodeURIComponent(linked[1])] !== undefined) open(caseIndex[decodeURIComponent(linked[1])]);
})();
