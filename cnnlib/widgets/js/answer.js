// An exercise checker for one numeric answer: the engine of cnnlib/widgets/answers.py
// (check_answer) and the view (question, answer field, 確認, 新しい問題, feedback).

function matches(rule, value) {
  if ("near" in rule) return Math.abs(value - rule.near[0]) <= rule.near[1];
  if ("below" in rule) return value < rule.below;
  return value > rule.above;
}

// [kind, html] for the reader's text on the attempt-th try, as check_answer.
function checkAnswer(spec, text, attempt) {
  const shown = esc(clean(text));
  let value;
  try {
    value = parseAnswer(text, spec.name, spec.integer);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return ["error", e.message + (e.reason === "not_integer" ? spec.not_integer : "")];
  }
  const fill = m => m.split("{x}").join(shown);
  for (const rule of spec.rules) {
    if (rule.kind === "error" && matches(rule, value)) return ["error", fill(rule.message)];
  }
  if (Math.abs(value - spec.answer) <= spec.tol) return ["ok", spec.correct];
  const reasons = [];
  for (const rule of spec.rules) {
    const message = fill(rule.message);
    if (rule.kind === "ng" && matches(rule, value) && !reasons.includes(message)) reasons.push(message);
  }
  const message = `${shown} ではありません。` + (reasons.length ? reasons : [spec.fallback]).join("");
  const tail = attempt >= 2 ? spec.reveal : spec.hint;
  return ["ng", message + (tail ? "<br>" + tail : "")];
}

function render({model, el}) {
  const note = h("div", {class: "cnnw-note"});
  const question = h("div", {class: "cnnw-question"});
  const input = h("input", {type: "text", class: "cnnw-answer", autocomplete: "off",
                            "aria-label": "答え"});
  const checkButton = h("button", {class: "cnnw-button cnnw-check", text: "確認"});
  const newButton = h("button", {class: "cnnw-button cnnw-new", text: "新しい問題"});
  const out = h("div", {class: "cnnw-out", "aria-live": "polite"});
  el.classList.add("cnnw", "cnnw-checker");
  el.append(note, question, h("div", {class: "cnnw-row"}, [input, checkButton, newButton]), out);

  function check() {
    const problems = model.get("problems"), spec = problems[model.get("index")];
    const attempt = model.get("wrong") + 1;
    const [kind, message] = checkAnswer(spec, input.value, attempt);
    save(model, {answer: input.value, attempt, kind, feedback: message,
                 wrong: model.get("wrong") + (kind === "ng" ? 1 : 0), checks: model.get("checks") + 1});
  }
  function next() {
    const n = model.get("problems").length;
    save(model, {index: (model.get("index") + 1) % n, answer: "", attempt: 0, wrong: 0,
                 kind: "", feedback: ""});
  }
  function show() {
    const problems = model.get("problems"), spec = problems[model.get("index")];
    note.innerHTML = model.get("note");
    note.hidden = !model.get("note");
    question.innerHTML = spec.question;
    input.placeholder = model.get("placeholder");
    if (input.value !== model.get("answer")) input.value = model.get("answer");
    newButton.hidden = problems.length < 2;
    const kind = model.get("kind");
    out.innerHTML = kind ? feedbackHtml(kind, model.get("feedback")) : "";
  }
  checkButton.addEventListener("click", check);
  newButton.addEventListener("click", next);
  onEnter(input, check);
  for (const name of ["problems", "index", "answer", "kind", "feedback", "note"]) {
    model.on(`change:${name}`, show);
  }
  show();
}

export default {render};
export {checkAnswer};
