"""The case list of a meeting: listing, order, capacity, deadline and what rolls over to the next meeting.

Used downwards by `cases` (a case is listed, taken off, relisted) and `conferences` (a meeting is cancelled) and by
`meetings`/`minutes` (discussed, deferred, rolled over at signing). It imports neither: where one of them must react
to something the list did, the list sends a signal (conference.agenda.signals)."""
