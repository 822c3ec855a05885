// Pieces shared by the convolution and pooling explorers: controls bound to traits, HTML tables,
// the output-position stepper with its play button, and canvas drawing for the photo input.

function field(label, control, extra = []) {
  return h("label", {class: "cnnw-field"}, [h("span", {class: "cnnw-label", text: label}),
                                            control, ...extra]);
}

// A <select> bound to a string trait; onPick(value) decides what to save.
function selectControl(label, trait, onPick) {
  const select = h("select", {"data-trait": trait});
  select.addEventListener("change", () => onPick(select.value));
  return {el: field(label, select), select,
          update(options, value) {
            const now = [...select.options].map(o => o.value);
            if (now.join("\n") !== options.join("\n")) {
              select.replaceChildren(...options.map(o => h("option", {value: o, text: o})));
            }
            select.value = value;
          }};
}

// A range input bound to an int trait, with its value shown beside it.
function sliderControl(model, label, trait, min, max) {
  const input = h("input", {type: "range", min, max, step: 1, "data-trait": trait});
  const shown = h("output");
  input.addEventListener("input", () => save(model, {[trait]: Number(input.value)}));
  return {el: field(label, input, [shown]), input,
          update(value, newMax = max) {
            input.max = newMax;
            input.value = value;
            shown.textContent = String(value);
          }};
}

// A textarea bound to a string trait; onEdit(text) decides what to save.
function textControl(label, trait, onEdit) {
  const area = h("textarea", {"data-trait": trait, spellcheck: "false"});
  area.addEventListener("input", () => onEdit(area.value));
  return {el: field(label, area), area,
          update(text) { if (area.value !== text) area.value = text; }};
}

// Steps the output position every 0.7 s up to the last one (the explorers' 再生).
function playButton(model, positions) {
  const button = h("button", {class: "cnnw-button cnnw-play", text: "▶ 再生"});
  let timer = null;
  const stop = () => { clearInterval(timer); timer = null; button.textContent = "▶ 再生"; };
  button.addEventListener("click", () => {
    if (timer) return stop();
    if (model.get("position") >= positions() - 1) save(model, {position: 0});
    button.textContent = "❚❚ 停止";
    timer = setInterval(() => {
      const next = model.get("position") + 1;
      if (next >= positions()) return stop();
      save(model, {position: next});
    }, 700);
  });
  return {el: button, stop};
}

function playRow(player) {
  return h("div", {class: "cnnw-field"}, [h("span", {class: "cnnw-label", text: "窓を動かす"}), player.el]);
}

// A select of presets (plus extra options and the custom entry) with a text area: picking a
// preset fills the text; editing a preset's text picks the custom entry (as
// Explorer._sync_preset in cnnlib/widgets/core.py).
function presetControls(model, {label, textLabel, presets, name, text, extra = () => []}) {
  const select = selectControl(label, name, v => {
    const p = model.get(presets);
    save(model, v in p ? {[name]: v, [text]: p[v]} : {[name]: v});
  });
  const area = textControl(textLabel, text, t => {
    const p = model.get(presets), current = model.get(name);
    save(model, current in p && p[current] !== t ? {[text]: t, [name]: model.get("custom_name")}
                                                 : {[text]: t});
  });
  return {select, area, update() {
    select.update([...Object.keys(model.get(presets)), ...extra(), model.get("custom_name")],
                  model.get(name));
    area.update(model.get(text));
  }};
}

// The window sliders, the output position with 再生, the message and the output areas.
function stepperControls(model, labels) {
  const limits = model.get("limits"), sliders = {};
  for (const [trait, label] of Object.entries(labels)) {
    sliders[trait] = sliderControl(model, label, trait, ...limits[trait]);
  }
  let count = 1;
  const position = sliderControl(model, "出力位置（番号）", "position", 0, 0);
  const player = playButton(model, () => count);
  const parts = {sliders, player, message: h("div", {class: "cnnw-message"}),
                 maps: h("div", {class: "cnnw-row cnnw-maps"}), detail: h("div", {class: "cnnw-detail"})};
  parts.column = h("div", {}, [...Object.values(sliders).map(c => c.el), position.el, playRow(player)]);
  // Show the view's message and clamp the position; returns the output cell (i, j) to draw,
  // or null (an error, or the position is being clamped, which renders again).
  parts.show = view => {
    for (const trait of Object.keys(sliders)) sliders[trait].update(model.get(trait));
    parts.message.innerHTML = feedbackHtml(view.kind, view.message);
    if (!view.output) {
      count = 1;
      player.stop();
      position.update(0, 0);
      parts.maps.replaceChildren();
      parts.detail.innerHTML = "";
      return null;
    }
    const OW = view.output[0].length;
    count = view.output.length * OW;
    const t = Math.min(model.get("position"), count - 1);
    if (t !== model.get("position")) { save(model, {position: t}); return null; }
    position.update(t, count - 1);
    return [Math.floor(t / OW), t % OW];
  };
  return parts;
}

// A captioned canvas showing a matrix; returns [element, drawing context].
function canvasBlock(caption, a, mode) {
  const canvas = h("canvas", {"aria-label": caption});
  const ctx = drawMatrix(canvas, a, mode);
  return [h("div", {class: "cnnw-block"}, [h("div", {class: "cnnw-cap", text: caption}), canvas]), ctx];
}

// A table of cell texts; classes maps "i,j" to a CSS class (pad, win, span, cur).
function tableHtml(texts, caption, classes = {}) {
  const rows = texts.map((row, i) => "<tr>" + row.map((t, j) => {
    const cls = classes[`${i},${j}`];
    return `<td${cls ? ` class="${cls}"` : ""}>${t}</td>`;
  }).join("") + "</tr>").join("");
  const cap = caption ? `<div class="cnnw-cap">${caption}</div>` : "";
  return `<div class="cnnw-block">${cap}<table class="cnnw-m">${rows}</table></div>`;
}

function matrixHtml(a, caption, classes = {}, digits = 2) {
  return tableHtml(a.map(row => row.map(v => fmtNumber(v, digits))), caption, classes);
}

// x with p rows/columns of value around it.
function pad(x, p, value = 0) {
  const W = x[0].length;
  const edge = () => new Array(W + 2 * p).fill(value);
  return [...Array.from({length: p}, edge),
          ...x.map(row => [...new Array(p).fill(value), ...row, ...new Array(p).fill(value)]),
          ...Array.from({length: p}, edge)];
}

function zeros(rows, cols) { return Array.from({length: rows}, () => new Array(cols).fill(0)); }

// ------------------------------------------------------------------ photo drawing
const CELL = 6;                                            // canvas pixels per matrix cell

// Diverging blue-white-red colour for t in [-1, 1] (matplotlib's RdBu_r at five stops).
const RDBU = [[5, 48, 97], [67, 147, 195], [247, 247, 247], [214, 96, 77], [103, 0, 31]];
function diverging(t) {
  const x = (Math.max(-1, Math.min(1, t)) + 1) * 2, i = Math.min(3, Math.floor(x)), f = x - i;
  return RDBU[i].map((c, k) => Math.round(c + (RDBU[i + 1][k] - c) * f));
}

// Draw a matrix on a canvas: gray (0..1) or diverging (symmetric around 0).
function drawMatrix(canvas, a, mode) {
  const H = a.length, W = a[0].length;
  canvas.width = W * CELL;
  canvas.height = H * CELL;
  const ctx = canvas.getContext("2d");
  const lim = Math.max(...a.map(r => Math.max(...r.map(Math.abs)))) || 1;
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++) {
      const v = a[i][j];
      const rgb = mode === "gray" ? Array(3).fill(Math.round(255 * Math.max(0, Math.min(1, v))))
                                  : diverging(v / lim);
      ctx.fillStyle = `rgb(${rgb.join(",")})`;
      ctx.fillRect(j * CELL, i * CELL, CELL, CELL);
    }
  }
  return ctx;
}

// Outline the cells' bounding box and mark each cell (the window on the padded input).
function markWindow(ctx, cells, color = "red") {
  const rows = cells.map(c => c[0]), cols = cells.map(c => c[1]);
  const r0 = Math.min(...rows), c0 = Math.min(...cols);
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  ctx.strokeRect(c0 * CELL, r0 * CELL, (Math.max(...cols) - c0 + 1) * CELL,
                 (Math.max(...rows) - r0 + 1) * CELL);
  ctx.fillStyle = color;
  for (const [r, c] of cells) ctx.fillRect(c * CELL + CELL / 2 - 1, r * CELL + CELL / 2 - 1, 2, 2);
}

function markCell(ctx, i, j, color = "lime") {
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  ctx.strokeRect(j * CELL + 1, i * CELL + 1, CELL - 2, CELL - 2);
}

function photoMatrix(model) { return model.get("photo").map(row => row.map(v => v / 255)); }

// Redraw on every change of the named traits and once now; the cleanup stops the play button.
function follow(model, names, show, ui) {
  for (const name of names) model.on(`change:${name}`, show);
  show();
  return () => ui.player.stop();
}
