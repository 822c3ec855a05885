// The pooling explorer: the page-side twin of cnnlib/widgets/pooling.py (pool_view).

const MODES = {"最大": "max", "平均": "avg", "GAP（全体の平均）": "gap"};

function poolGeometryError(shape, k, p) {
  if (2 * p > k) {
    return `パディング P=${p} はカーネル K=${k} の半分（K//2 = ${Math.floor(k / 2)}）までにしてください。` +
      "それより大きいと、パディングだけでできた窓ができてしまいます（PyTorch も同じ制限でエラーにします）。";
  }
  for (const [axis, n] of [["縦", shape[0]], ["横", shape[1]]]) {
    if (k > n + 2 * p) {
      return `${axis}方向に窓を1つも置けません。カーネル K=${k} が、パディング後の入力の幅 ` +
        `${n}+2×${p} = ${n + 2 * p} より大きいからです。`;
    }
  }
  return null;
}

function poolSummary(kind, [H, W], k, s, p, [OH, OW]) {
  if (kind === "gap") {
    return `GAP: 窓は入力全体（${H}×${W}）で、出力は 1×1 です（チャネルごとに1つの値）。` +
      "カーネル・ストライド・パディングのスライダーは使いません。";
  }
  const name = kind === "max" ? "最大" : "平均";
  let padText = "";
  if (p) {
    padText = kind === "max" ? "（パディングは −∞ 扱いで、勝つことはありません）"
      : "（パディングの 0 も平均に数えます。PyTorch の既定 count_include_pad=True）";
  }
  return `${name}プーリング: 入力 ${H}×${W}、K=${k}, S=${s}, P=${p} → 出力 ${OH}×${OW}` +
    `（縦: floor((${H}+2×${p}−${k})/${s})+1 = ${OH}）${padText}`;
}

// Window geometry [kh, kw, s, p] of the mode (GAP: the whole input).
function poolGeometry(kind, x, k, s, p) {
  return kind === "gap" ? [x.length, x[0].length, 1, 0] : [k, k, s, p];
}

// The padded-input cells of output (i, j), row-major.
function poolCells(i, j, kh, kw, s) {
  const cells = [];
  for (let m = 0; m < kh; m++) for (let n = 0; n < kw; n++) cells.push([i * s + m, j * s + n]);
  return cells;
}

// {output, wins}: max (padding -inf, first maximum wins) or average (padding 0 counted).
function pool2d(x, kind, kh, kw, s, p) {
  const xp = pad(x, p, kind === "max" ? -Infinity : 0);
  const OH = Math.floor((xp.length - kh) / s) + 1, OW = Math.floor((xp[0].length - kw) / s) + 1;
  const output = zeros(OH, OW), wins = zeros(x.length, x[0].length);
  for (let i = 0; i < OH; i++) {
    for (let j = 0; j < OW; j++) {
      const values = poolCells(i, j, kh, kw, s).map(([r, c]) => xp[r][c]);
      if (kind === "max") {
        const w = winner(values), [r, c] = poolCells(i, j, kh, kw, s)[w];
        output[i][j] = values[w];
        wins[r - p][c - p] += 1;
      } else {
        output[i][j] = values.reduce((a, b) => a + b, 0) / values.length;
      }
    }
  }
  return {output, wins: kind === "max" ? wins : null};
}

function winner(values) {
  let w = 0;
  for (let q = 1; q < values.length; q++) if (values[q] > values[w]) w = q;
  return w;
}

// {kind, message, x, output, wins}, as pool_view; source is typed text or the photo matrix.
function poolView(source, mode, k, s, p) {
  const kind = MODES[mode];
  let x;
  try {
    x = typeof source === "string" ? parseMatrix(source, "入力", [8, 8]) : source;
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return {kind: "error", message: e.message, x: null, output: null, wins: null};
  }
  if (kind !== "gap") {
    const problem = poolGeometryError([x.length, x[0].length], k, p);
    if (problem) return {kind: "error", message: problem, x, output: null, wins: null};
  }
  const [kh, kw, gs, gp] = poolGeometry(kind, x, k, s, p);
  const {output, wins} = pool2d(x, kind, kh, kw, gs, gp);
  const message = poolSummary(kind, [x.length, x[0].length], k, s, p, [output.length, output[0].length]);
  return {kind: "info", message, x, output, wins};
}

function render({model, el}) {
  const get = name => model.get(name);
  const input = presetControls(model, {label: "入力", textLabel: "入力の値", presets: "inputs",
                                       name: "input_name", text: "input_text",
                                       extra: () => [get("photo_name")]});
  const modeButtons = h("div", {class: "cnnw-row cnnw-modes", role: "group", "aria-label": "種類"});
  const ui = stepperControls(model, {kernel_size: "カーネル K", stride: "ストライド S", padding: "パディング P"});
  const winsBox = h("div", {class: "cnnw-wins"});
  el.classList.add("cnnw", "cnnw-pool");
  el.append(h("div", {class: "cnnw-field"}, [h("span", {class: "cnnw-label", text: "種類"}), modeButtons]),
            h("div", {class: "cnnw-controls"}, [h("div", {}, [input.select.el, input.area.el]), ui.column]),
            ui.message, ui.maps, ui.detail, winsBox);

  const isPhoto = () => get("input_name") === get("photo_name");
  let view = null, viewKey = "";

  function show() {
    const mode = get("mode"), kind = MODES[mode];
    const k = get("kernel_size"), s = get("stride"), p = get("padding");
    input.update();
    input.area.el.hidden = isPhoto();                   // the photo has no text form
    if (modeButtons.childElementCount !== get("modes").length) {
      modeButtons.replaceChildren(...get("modes").map(m => h("button", {
        class: "cnnw-button", "data-mode": m, text: m, onclick: () => save(model, {mode: m})})));
    }
    for (const b of modeButtons.children) b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
    const key = JSON.stringify([get("input_name"), isPhoto() ? "" : get("input_text"), mode, k, s, p]);
    if (key !== viewKey) {
      view = poolView(isPhoto() ? photoMatrix(model) : get("input_text"), mode, k, s, p);
      viewKey = key;
    }
    winsBox.innerHTML = "";
    const at = ui.show(view);
    if (!at) return;
    const [i, j] = at, {x, output: out} = view, OW = out[0].length;
    const [kh, kw, gs, gp] = poolGeometry(kind, x, k, s, p);
    const cells = poolCells(i, j, kh, kw, gs);
    const xp = pad(x, gp, kind === "max" ? -Infinity : 0);
    const values = cells.map(([r, c]) => xp[r][c]), w = winner(values);
    if (isPhoto()) {
      const [left, ctx] = canvasBlock(`入力 ${x.length}×${x[0].length} と窓`, pad(x, gp), "gray");
      markWindow(ctx, cells);
      if (kind === "max") markCell(ctx, ...cells[w], "orange");
      const [right, octx] = canvasBlock(`出力 ${out.length}×${OW}（位置 (${i}, ${j})）`, out, "gray");
      markCell(octx, i, j);
      ui.maps.replaceChildren(left, right);
    } else {
      const H = x.length, W = x[0].length, classes = {};
      const texts = xp.map((row, r) => row.map((v, c) => {
        const inside = r >= gp && r < H + gp && c >= gp && c < W + gp;
        if (!inside) classes[`${r},${c}`] = "pad";
        return inside ? fmtNumber(v) : (kind === "max" ? "−∞" : "0");
      }));
      if (kind === "max") {
        for (const [r, c] of cells) classes[`${r},${c}`] = "span";
        classes[`${cells[w][0]},${cells[w][1]}`] = "win";
      } else {
        for (const [r, c] of cells) classes[`${r},${c}`] = "win";
      }
      const caption = gp ? "パディング後の入力" : "入力";
      ui.maps.innerHTML = tableHtml(texts, `${caption} (${H + 2 * gp}×${W + 2 * gp})`, classes) +
        matrixHtml(out, `出力 (${out.length}×${OW})`, {[`${i},${j}`]: "cur"});
    }
    const value = fmtNumber(out[i][j]);
    if (kind !== "max") {
      const terms = values.slice(0, 16).map(v => fmtNumber(v)).join(" + ") + (values.length > 16 ? " + …" : "");
      ui.detail.innerHTML = `<div class="cnnw-sum">出力[${i}, ${j}] = (${terms}) / ${values.length} = ` +
        `<b>${value}</b>（窓の全要素が同じ重み 1/窓の大きさ で寄与します）</div>`;
      return;
    }
    const ties = values.filter(v => v === values[w]).length;
    const tie = ties > 1 ? `最大値 ${fmtNumber(values[w])} が窓の中に ${ties} か所あります。PyTorch と同じく、` +
      "左上から数えて最初の位置を勝者とします（逆伝播で勾配が流れるのもこの位置だけです）。" : "";
    const where = gp ? "パディング後の入力" : "入力";
    ui.detail.innerHTML = `<div class="cnnw-sum">出力[${i}, ${j}] = 窓の最大値 = <b>${value}</b>` +
      `（勝者は${where}の (${cells[w][0]}, ${cells[w][1]})、オレンジ色）。${tie}</div>`;
    if (isPhoto()) return;
    const classes = {};
    view.wins.forEach((row, r) => row.forEach((c, q) => { if (c > 1) classes[`${r},${q}`] = "win"; }));
    winsBox.innerHTML = `<div class="cnnw-row">${matrixHtml(view.wins, "勝った回数", classes)}</div>` +
      '<div class="cnnw-sum">各入力が勝った窓の数（0 の所は出力に一度も使われません）。逆伝播では、' +
      "勝った窓の勾配がここに届き、2回以上勝った入力には勾配が足し合わされます。</div>";
  }
  return follow(model, ["input_name", "input_text", "mode", "kernel_size", "stride", "padding",
                        "position"], show, ui);
}

export default {render};
export {poolView, parseMatrix};
