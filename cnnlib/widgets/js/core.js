// cnnlib widgets: the shared core, concatenated in front of each widget's own file.
// Every rule here mirrors cnnlib/widgets/core.py (the reference); tests/test_widgets_js.py runs
// a table of cases generated from the Python functions through this code in node.

const MAX_TOKEN = 32, MAX_TEXT = 4000, MAX_ENTRY = 1e6;
const FULLWIDTH = new Map([..."０１２３４５６７８９．，、／－−ー＋ｅＥ［］；　"].map(
  (c, i) => [c, "0123456789.,,/---+eE[]; "[i]]));
const UNSIGNED = "(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?";
const NUMBER_RE = new RegExp(`^([+-]?${UNSIGNED})(?:/(${UNSIGNED}))?$`);
const PROBLEMS = {syntax: "は数として読めません", zero: "は 0 で割っています",
                  large: "は大きすぎて計算できません"};

function length(s) { return [...s].length; }            // code points, as Python's len

function clean(text) {
  const s = [...String(text)].map(c => FULLWIDTH.get(c) ?? c).join("");
  return s.replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, "");
}

function esc(s) {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#x27;");
}

// [value, null] or [null, problem]: 'long', 'syntax', 'zero' or 'large' (see read_number).
function readNumber(token) {
  if (length(token) > MAX_TOKEN) return [null, "long"];
  const m = NUMBER_RE.exec(token);
  if (!m) return [null, "syntax"];
  let value = Number(m[1]);
  if (m[2] !== undefined) {
    const denominator = Number(m[2]);
    if (denominator === 0) return [null, "zero"];
    value = value / denominator;
  }
  return Number.isFinite(value) ? [value, null] : [null, "large"];
}

class InputError extends Error {
  constructor(message, reason = "") { super(message); this.reason = reason; }
}

function parseAnswer(text, name, integer) {
  const what = integer ? "整数" : "数";
  const s = clean(text);
  if (!s) throw new InputError(`${name}が空です。${what}を入力してください（例: 4）。`);
  const [value, problem] = readNumber(s);
  if (problem === "long") {
    throw new InputError(`入力が長すぎます（${length(s)}文字）。${name}は${MAX_TOKEN}文字までの${what}で` +
                         "入力してください。");
  }
  if (problem) {
    const example = integer ? "（例: 4）" : "（例: 4、-0.5、1/9）";
    throw new InputError(`「${esc(s)}」${PROBLEMS[problem]}。${name}は${what}で入力してください${example}。`);
  }
  if (integer && value !== Math.floor(value)) {
    throw new InputError(`「${esc(s)}」は整数ではありません。${name}は整数で入力してください。`,
                         "not_integer");
  }
  return value;
}

function parseMatrix(text, name, [maxRows, maxCols] = [7, 7]) {
  let s = clean(text);
  if (length(s) > MAX_TEXT) {
    throw new InputError(`${name}が長すぎます（${length(s)}文字）。${MAX_TEXT}文字までにしてください。`);
  }
  s = s.replace(/\[/g, " ").replace(/\]/g, "\n");
  const rows = s.split(/[\n;]/).map(r => r.replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, ""))
    .filter(r => r);
  if (!rows.length) {
    throw new InputError(`${name}が空です。数を行ごとに改行して入力してください（例: 「1 0 -1」を3行）。`);
  }
  const matrix = rows.map((row, i) => row.split(/[ \t\r\f\v,]+/).filter(t => t).map(t => {
    const [value, problem] = readNumber(t);
    const where = `${name}の${i + 1}行目の`;
    if (problem === "long") {
      throw new InputError(`${where}${length(t)}文字の数は長すぎます。数は${MAX_TOKEN}文字までにしてください。`);
    }
    if (problem) {
      throw new InputError(`${where}「${esc(t)}」${PROBLEMS[problem]}。使えるのは整数・小数・` +
                           "分数（例: 2, -0.5, 1/9）で、区切りは空白かカンマです。");
    }
    if (Math.abs(value) > MAX_ENTRY) {
      throw new InputError(`${where}「${esc(t)}」は大きすぎます。` +
                           "このウィジェットでは絶対値 1000000 までにしてください。");
    }
    return value;
  }));
  const lengths = matrix.map(r => r.length);
  if (new Set(lengths).size > 1) {
    const detail = lengths.map((n, i) => `${i + 1}行目 ${n}個`).join("、");
    throw new InputError(`${name}の行の長さがそろっていません（${detail}）。` +
                         "行列はどの行も同じ個数の数が必要です。");
  }
  if (matrix.length > maxRows || lengths[0] > maxCols) {
    throw new InputError(`${name}が大きすぎます（${matrix.length}×${lengths[0]}）。` +
                         `このウィジェットでは ${maxRows}×${maxCols} までにしてください。`);
  }
  return matrix;
}

// Python's f"{v:.{d}f}": the exact binary value of v rounded half-to-even to d decimals.
function fixed(v, d) {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & 0xfffffffffffffn;
  if (biased) mantissa |= 1n << 52n;
  const exponent = (biased || 1) - 1075;                   // v = ±mantissa * 2**exponent
  let q = mantissa * 10n ** BigInt(d);
  if (exponent >= 0) {
    q <<= BigInt(exponent);
  } else {
    const den = 1n << BigInt(-exponent), r = q % den;
    q /= den;
    if (2n * r > den || (2n * r === den && q % 2n === 1n)) q += 1n;
  }
  let digits = q.toString().padStart(d + 1, "0");
  if (d) digits = digits.slice(0, -d) + "." + digits.slice(-d);
  return (negative ? "-" : "") + digits;
}

function fmtNumber(v, digits = 2) {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : (v > 0 ? "∞" : "−∞");
  const r = roundHalfEven(v);
  if (Math.abs(v - r) < 1e-9) return BigInt(r).toString();
  const s = fixed(v, digits);
  return s.startsWith("-") && !s.replace(/^[-0.]+|[-0.]+$/g, "") ? s.slice(1) : s;
}

// Python's round(v) to an integer (ties to even).
function roundHalfEven(v) {
  const f = Math.floor(v), diff = v - f;
  if (diff < 0.5) return f;
  if (diff > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

const COLORS = {ok: ["#e8f5e9", "#2e7d32", "✔ "], ng: ["#fff3e0", "#e65100", "✘ "],
                error: ["#ffebee", "#c62828", "⚠ "], info: ["#e3f2fd", "#1565c0", ""]};

// The coloured message box of cnnlib.widgets.feedback.
function feedbackHtml(kind, message) {
  const [bg, fg, mark] = COLORS[kind];
  return `<div class="cnnw-feedback cnnw-${kind}" style="background:${bg};color:${fg};` +
    `border-left:4px solid ${fg};padding:6px 10px;margin:4px 0;line-height:1.6">` +
    `${mark}${message}</div>`;
}

// ------------------------------------------------------------------ DOM helpers
function h(tag, props = {}, children = []) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v;
    else if (k === "html") e.innerHTML = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

// Enter checks the answer, except while an IME is still converting the text.
function onEnter(input, action) {
  input.addEventListener("keydown", e => {
    if (e.key === "Enter" && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); action(); }
  });
}

// Set traits from the page and send them to the kernel, if there is one.
function save(model, changes) {
  for (const [k, v] of Object.entries(changes)) model.set(k, v);
  model.save_changes();
}
