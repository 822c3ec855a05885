// The convolution explorer: the page-side twin of cnnlib/widgets/convolution.py (conv_view).

function geometryError(shape, kShape, p, d) {
  for (const [axis, n, k] of [["縦", shape[0], kShape[0]], ["横", shape[1], kShape[1]]]) {
    const span = d * (k - 1) + 1;
    if (span > n + 2 * p) {
      return `${axis}方向に窓を1つも置けません。ダイレーション込みのカーネルの幅 ` +
        `D(K−1)+1 = ${d}×(${k}−1)+1 = ${span} が、パディング後の入力の幅 ` +
        `H+2P = ${n}+2×${p} = ${n + 2 * p} より大きいからです。` +
        "パディングを増やすか、カーネルかダイレーションを小さくしてください。";
    }
  }
  return null;
}

// The padded-input cells (row, col) that output (i, j) reads, in the kernel's row-major order.
function convCells(i, j, kh, kw, s, d) {
  const cells = [];
  for (let m = 0; m < kh; m++) for (let n = 0; n < kw; n++) cells.push([i * s + m * d, j * s + n * d]);
  return cells;
}

function conv2d(xp, k, s, d) {
  const KH = k.length, KW = k[0].length;
  const OH = Math.floor((xp.length - d * (KH - 1) - 1) / s) + 1;
  const OW = Math.floor((xp[0].length - d * (KW - 1) - 1) / s) + 1;
  const out = zeros(OH, OW);
  for (let i = 0; i < OH; i++) {
    for (let j = 0; j < OW; j++) {
      let sum = 0;
      for (let m = 0; m < KH; m++) {
        for (let n = 0; n < KW; n++) sum += xp[i * s + m * d][j * s + n * d] * k[m][n];
      }
      out[i][j] = sum;
    }
  }
  return out;
}

// {kind, message, output, kernel}, as conv_view.
function convView(x, text, p, s, d) {
  let k;
  try {
    k = parseMatrix(text, "カーネル", [7, 7]);
    const problem = geometryError([x.length, x[0].length], [k.length, k[0].length], p, d);
    if (problem) throw new InputError(problem);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return {kind: "error", message: e.message, output: null, kernel: null};
  }
  const output = conv2d(pad(x, p), k, s, d);
  const [H, W, KH, KW, OH, OW] = [x.length, x[0].length, k.length, k[0].length,
                                  output.length, output[0].length];
  const message = `入力 ${H}×${W}、カーネル ${KH}×${KW}、P=${p}, S=${s}, D=${d} → 出力 ${OH}×${OW}` +
    `（縦: floor((${H}+2×${p}−${d}×(${KH}−1)−1)/${s})+1 = ${OH}）`;
  return {kind: "info", message, output, kernel: k};
}

function render({model, el}) {
  const get = name => model.get(name);
  const input = selectControl("入力", "input_name", v => save(model, {input_name: v}));
  const kernel = presetControls(model, {label: "カーネル", textLabel: "カーネルの値", presets: "kernels",
                                        name: "kernel_name", text: "kernel_text"});
  const ui = stepperControls(model, {padding: "パディング P", stride: "ストライド S",
                                     dilation: "ダイレーション D"});
  el.classList.add("cnnw", "cnnw-conv");
  el.append(h("div", {class: "cnnw-controls"}, [
    h("div", {}, [input.el, kernel.select.el, kernel.area.el]), ui.column]), ui.message, ui.maps, ui.detail);

  const isPhoto = () => get("input_name") === get("photo_name");
  const matrix = () => (isPhoto() ? photoMatrix(model) : get("inputs")[get("input_name")]);
  let view = null, viewKey = "";

  function show() {
    const p = get("padding"), s = get("stride"), d = get("dilation");
    input.update([...Object.keys(get("inputs")), get("photo_name")], get("input_name"));
    kernel.update();
    const key = JSON.stringify([get("input_name"), get("kernel_text"), p, s, d]);
    if (key !== viewKey) { view = convView(matrix(), get("kernel_text"), p, s, d); viewKey = key; }
    const at = ui.show(view);
    if (!at) return;
    const [i, j] = at, out = view.output, k = view.kernel, OW = out[0].length;
    const xp = pad(matrix(), p), cells = convCells(i, j, k.length, k[0].length, s, d);
    if (isPhoto()) {
      const [left, ctx] = canvasBlock(`パディング後の入力（P=${p}）と窓`, xp, "gray");
      markWindow(ctx, cells);
      const [right, octx] = canvasBlock(`出力 ${out.length}×${OW}（位置 (${i}, ${j})）`, out, "diverging");
      markCell(octx, i, j);
      ui.maps.replaceChildren(left, right);
    } else {
      const Hp = xp.length, Wp = xp[0].length, classes = {};
      for (let r = 0; r < Hp; r++) {
        for (let c = 0; c < Wp; c++) if (r < p || c < p || r >= Hp - p || c >= Wp - p) classes[`${r},${c}`] = "pad";
      }
      const [[r0, c0], [r1, c1]] = [cells[0], cells[cells.length - 1]];
      for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) classes[`${r},${c}`] = "span";
      for (const [r, c] of cells) classes[`${r},${c}`] = "win";
      ui.maps.innerHTML = matrixHtml(xp, `パディング後の入力 (${Hp}×${Wp})`, classes) +
        matrixHtml(out, `出力 (${out.length}×${OW})`, {[`${i},${j}`]: "cur"});
    }
    const win = cells.map(([r, c]) => xp[r][c]), KW = k[0].length;
    const rows = a => k.map((_, m) => a.slice(m * KW, (m + 1) * KW));
    const products = win.map((v, q) => v * k[Math.floor(q / KW)][q % KW]);
    ui.detail.innerHTML =
      `<div class="cnnw-sum">出力位置 (i, j) = (${i}, ${j})：窓の左上はパディング後の入力の ` +
      `(${cells[0][0]}, ${cells[0][1]})</div><div class="cnnw-row">` +
      matrixHtml(rows(win), "窓の値") + matrixHtml(k, "カーネル") +
      matrixHtml(rows(products), "要素ごとの積") + "</div>" +
      `<div class="cnnw-sum">出力[${i}, ${j}] = 積の合計 = <b>${fmtNumber(out[i][j])}</b></div>`;
  }
  return follow(model, ["input_name", "kernel_name", "kernel_text", "padding", "stride",
                        "dilation", "position"], show, ui);
}

export default {render};
export {convView, parseMatrix, fmtNumber, readNumber, parseAnswer, clean};
