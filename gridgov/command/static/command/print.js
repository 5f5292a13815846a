/* The dashboard's print link (an event handler attribute would be refused by the CSP). */
(function () {
  "use strict";
  var link = document.getElementById("print-page");
  if (link) { link.addEventListener("click", function (event) { event.preventDefault(); window.print(); }); }
})();
