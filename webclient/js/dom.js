// Small DOM helpers. Text always goes in as text (textContent), never as HTML, so nothing a
// user types can become markup.

export const $ = (id) => document.getElementById(id);

/** h("button", {type: "button", onclick}, "Join") -> element; attrs starting with "on" are listeners. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/**
 * Re-render a container without losing keyboard focus or half-typed input: the element
 * focused before, and every field's value, are found again by their data-key.
 */
export function replaceChildrenKeepingFocus(container, children) {
  const focused = container.contains(document.activeElement) ? document.activeElement.dataset.key : null;
  const values = new Map();
  for (const field of container.querySelectorAll("input[data-key], select[data-key], textarea[data-key]")) {
    values.set(field.dataset.key, field.value);
  }
  container.replaceChildren(...children);
  for (const [key, value] of values) {
    const field = container.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (field) field.value = value;
  }
  if (focused) container.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
}

let alertTimer = null;

/**
 * Show an error (the API's own message), announced to screen readers: inside `form` when
 * given (beside the fields it is about, and kept until that form is sent again), else in
 * the page's alert region. One error shows at a time.
 */
export function showError(message, form = null) {
  clearError();
  if (form) {
    let inline = form.querySelector(":scope > .inline-error");
    if (!inline) {
      inline = h("p", { class: "inline-error", role: "alert" });
      const submit = form.querySelector("button[type=submit]");
      if (submit && submit.parentElement === form) submit.before(inline);
      else form.append(inline);
    }
    inline.textContent = message;
    inline.hidden = false;
    return;
  }
  const box = $("alert");
  $("alert-text").textContent = message;
  box.hidden = false;
  clearTimeout(alertTimer);
  alertTimer = setTimeout(() => { box.hidden = true; }, 15000);
}

export function clearError() {
  $("alert").hidden = true;
  for (const inline of document.querySelectorAll(".inline-error")) inline.hidden = true;
}

/** A polite announcement for screen readers (new messages elsewhere, join requests). */
export function announce(text) {
  const region = $("announcer");
  region.textContent = "";
  // A new text node after a tick, so the same text twice is announced twice.
  setTimeout(() => { region.textContent = text; }, 50);
}

/**
 * Run `work` once at a time per button (a second click while it runs does nothing); its
 * error is shown, not thrown. aria-disabled rather than disabled, so focus stays put.
 */
export async function busy(button, work) {
  if (button?.getAttribute("aria-disabled") === "true") return undefined;
  button?.setAttribute("aria-disabled", "true");
  const form = button?.closest("form") || null;
  form?.querySelector(":scope > .inline-error")?.setAttribute("hidden", "");
  try {
    return await work();
  } catch (error) {
    if (error.name !== "ApiError") console.error(error);
    showError(error.message, form);
    return undefined;
  } finally {
    button?.removeAttribute("aria-disabled");
  }
}

/** Handle a form's submit with `work(form)`, one at a time, errors shown in the alert region. */
export function onSubmit(formOrId, work) {
  const form = typeof formOrId === "string" ? $(formOrId) : formOrId;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form.querySelector("button[type=submit]"), () => work(form));
  });
}
