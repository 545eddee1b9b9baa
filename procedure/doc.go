// Package procedure is a project's expropriation procedure as a timeline: every step
// of the document-type catalogue with the state of each of its types on a day —
// published on a date, filed, awaiting publication, pending, overdue or late against
// its clock (by how many days), not applicable to the project's category, or an
// occasional step that has not happened — with the comment period's countdown, the
// flag when the decision came before it ended, and the key dates.
//
// Timeline is a pure function of the project, its records (with the day each was
// first published), the catalogue, the calendar, the clock rules and the day: the
// portal renders it, and the same input always gives the same page. The clocks
// themselves are package calendar's; this package only says which clock governs which
// type (steps.json, overridable with ParseConfig) and folds their states into steps.
package procedure
