// What every page's buttons do in script: print (notices, receipts, bulletins) and go back (error pages). A file
// of our own: the pages' Content-Security-Policy allows no inline script or javascript: link.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
document.querySelectorAll("[data-back]").forEach((link) => {
  link.addEventListener("click", (event) => {
    event.preventDefault();
    history.back();
  });
});
