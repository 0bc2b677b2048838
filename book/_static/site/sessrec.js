// sessrec book: a table cell that holds only a number (or a number with its interval, such as
// "0.297 [0.270, 0.326]") never wraps; cells with words may. Loaded on every page by
// book/_ext/sessrec_book.py; the style is the class "num" in sessrec.css.
(function () {
  const NUMBER = /^[\s\d.,:%+\-\u2013\u2212\u00b1\u00d7()[\]eE]+$/;
  function mark() {
    document.querySelectorAll("article table td, article table th").forEach(function (cell) {
      const text = cell.textContent.trim();
      if (text && NUMBER.test(text)) {
        cell.classList.add("num");
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mark);
  } else {
    mark();
  }
})();
