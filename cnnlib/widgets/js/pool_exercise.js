// Exercise 1 of the pooling chapter: the page-side twin of check_pool_exercise
// (cnnlib/widgets/pooling.py).

function close(a, b, atol, rtol) {
  return a.every((row, i) => row.every((u, j) => Math.abs(u - b[i][j]) <= atol + rtol * Math.abs(b[i][j])));
}

// [right, html] for one typed pooled map, as _check_part.
function checkPart(part, text) {
  let got;
  try {
    got = parseMatrix(text, `${part.name}の出力`, [8, 8]);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return [false, e.message];
  }
  const truth = part.truth, shape = [got.length, got[0].length];
  if (shape[0] !== truth.length || shape[1] !== truth[0].length) {
    const hint = part.shape_hints.filter(s => s.shape[0] === shape[0] && s.shape[1] === shape[1])
      .map(s => s.message).join("");
    return [false, part.shape.split("{rows}").join(String(shape[0]))
      .split("{cols}").join(String(shape[1])).split("{hint}").join(hint)];
  }
  if (close(got, truth, part.atol, part.rtol)) return [true, part.ok];
  for (const m of part.matches) if (close(got, m.matrix, m.atol, m.rtol)) return [false, m.message];
  const wrong = [];
  truth.forEach((row, i) => row.forEach((v, j) => { if (Math.abs(got[i][j] - v) > part.atol) wrong.push([i, j]); }));
  const [i, j] = wrong[0];
  return [false, part.wrong.split("{count}").join(String(wrong.length)) + part.cells[i][j]];
}

// [kind, html], as check_pool_exercise.
function checkPoolExercise(spec, maxText, avgText, choice) {
  const [[okMax, msgMax], [okAvg, msgAvg]] = [checkPart(spec.parts[0], maxText),
                                              checkPart(spec.parts[1], avgText)];
  const c = spec.choice, okChoice = choice === c.answer;
  const line = !choice ? c.none : (okChoice ? c.ok : c.ng);
  return [okMax && okAvg && okChoice ? "ok" : "ng", [msgMax, msgAvg, line].join("<br>")];
}

function render({model, el}) {
  const spec = () => model.get("spec");
  const question = h("div", {class: "cnnw-question"});
  const areas = spec().parts.map(part => h("textarea", {placeholder: `${part.name}の出力`,
                                                         "aria-label": `${part.name}の出力`,
                                                         spellcheck: "false"}));
  const name = `cnnw-choice-${Math.random().toString(36).slice(2)}`;
  const radios = spec().choice.options.map(o => h("input", {type: "radio", name, value: o}));
  const choices = h("div", {class: "cnnw-field", role: "radiogroup"}, [
    h("span", {class: "cnnw-label", text: spec().choice.label}),
    ...radios.map((r, q) => h("label", {}, [r, " " + spec().choice.options[q]]))]);
  const checkButton = h("button", {class: "cnnw-button cnnw-check", text: "確認"});
  const out = h("div", {class: "cnnw-out", "aria-live": "polite"});
  el.classList.add("cnnw", "cnnw-checker");
  el.append(question, h("div", {class: "cnnw-row"}, areas), choices, checkButton, out);

  checkButton.addEventListener("click", () => {
    const picked = radios.find(r => r.checked);
    const choice = picked ? picked.value : "";
    const [kind, message] = checkPoolExercise(spec(), areas[0].value, areas[1].value, choice);
    save(model, {max_text: areas[0].value, avg_text: areas[1].value, choice, kind,
                 feedback: message, checks: model.get("checks") + 1});
  });
  function show() {
    question.innerHTML = spec().question;
    for (const [area, trait] of [[areas[0], "max_text"], [areas[1], "avg_text"]]) {
      if (area.value !== model.get(trait)) area.value = model.get(trait);
    }
    for (const r of radios) r.checked = r.value === model.get("choice");
    const kind = model.get("kind");
    out.innerHTML = kind ? feedbackHtml(kind, model.get("feedback")) : "";
  }
  for (const trait of ["spec", "max_text", "avg_text", "choice", "kind", "feedback"]) {
    model.on(`change:${trait}`, show);
  }
  show();
}

export default {render};
export {checkPoolExercise};
