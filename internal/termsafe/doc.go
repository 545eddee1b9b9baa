// Package termsafe escapes text that comes from outside (file names, metadata,
// error messages quoting either) for a terminal. A file name with a newline could
// forge a line of a report; an ANSI escape could recolour, move the cursor or
// retitle the window; a bidirectional override could show "fdp.exe" as
// "exe.pdf". Every such character is shown as an escape instead, while Chinese
// text (and every other printable script, ideographic spaces included) is left
// as it is.
package termsafe
