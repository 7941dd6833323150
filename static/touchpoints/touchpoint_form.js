// Quick duration buttons fill the duration field; without JavaScript the field is typed in.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-duration]");
  if (!button) return;
  const input = button.closest(".field").querySelector("input[type=number]");
  input.value = button.dataset.duration;
  input.dispatchEvent(new Event("change", { bubbles: true }));
});
