-- The language a conversation chose with `lang`, kept with or without a case open (issue 26):
-- after `lang en` and `cancel`, the replies stay English, and `lang en` with no case is
-- answered in English. One row per conversation; a case keeps its own `lang` beside it (the
-- case's wins while it is open, and a new case starts in this one). No person's data: the
-- conversation id and a language code.
CREATE TABLE conversation_langs (
    conversation TEXT PRIMARY KEY,
    lang TEXT NOT NULL CHECK (lang IN ('zh', 'en')),
    set_at TEXT NOT NULL
);
