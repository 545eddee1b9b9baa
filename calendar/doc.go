// Package calendar is China's official calendar of working days and the legal clocks
// counted on it. Every deadline of the system — proactive disclosure within 20
// working days, the comment period of a compensation plan, the residents' re-check and
// expert-appraisal periods, disclosure on request, petitions — is a Period of a Rule
// counted on a Calendar; no other package counts days.
//
// The Calendar knows, for each year whose State Council notice it holds (the built-in
// files under holidays/, one per year, each naming its notice's number and date), the
// days off (放假) and the weekend days worked instead (调休上班); other days follow the
// weekday. A deployment adds a year, or its own version of one, with ReadYears and
// Calendar.With. For a year without a notice every answer that depends on it is an
// *UnknownError (errors.Is ErrUnknown): the calendar never guesses from the weekday.
//
// A Rule says how long a period is, in calendar or working days, whether it is a
// deadline (act by its last day) or a minimum (it must run out before the next act),
// whether its last day moves off a rest day (民法典 Art. 203), and what can extend,
// suspend or restart it; each names its legal source. The built-in table is
// rules.json; a deployment overrides rules by code with ParseRules and Rules.With.
// Periods count from the day after their event (民法典 Art. 201).
//
// Calendar.Status answers where a period stands on a day — not started, running with
// the days left, paused, met, late or overdue by so many days, cut short — looking at
// the calendar only as far as the answer needs, so that a document published a week
// after its date is "met" even when its 20th working day would fall in a year with no
// notice. Everything here is a pure function of its arguments: no clock, no files
// beyond the embedded ones and an fs.FS a caller passes, no package-level state.
// docs/clocks.md describes every rule, the year-file format and what "unknown" means.
//
// Date is the one civil-date type of the system (archive.Date is an alias of it).
package calendar
