//! The message catalogue: every sentence people read in the verify output,
//! the evidence report and the verify service's upload page, in English and
//! in Spanish (es-MX, formal register), in one place.
//!
//! A message is a template: `{0}`, `{1}`… are filled with the arguments
//! given ([`tr`]), already written for the reader (numbers with
//! separators, names, HTML where the caller renders HTML). A message with
//! two forms, `singular|plural`, is told by a count ([`trn`]): the
//! singular for exactly 1, the plural otherwise, in both languages. The
//! templates hold no markup: [`tr_html`] escapes them for HTML.
//!
//! The test of a translation ([`english_fragments`]) takes the text
//! between the arguments of every English template, and a Spanish output
//! must contain none of three words or more.

use std::fmt::Display;

use crate::Lang;

macro_rules! catalogue {
    ($( $(#[$doc:meta])* $name:ident { en: $en:literal, es: $es:literal $(,)? } )*) => {
        /// A message of the catalogue.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Msg {
            $( $(#[$doc])* #[allow(missing_docs)] $name, )*
        }

        impl Msg {
            /// Every message, in catalogue order.
            pub const ALL: &'static [Msg] = &[ $( Msg::$name, )* ];

            /// The template in a language.
            pub fn template(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $(
                        (Msg::$name, Lang::En) => $en,
                        (Msg::$name, Lang::Es) => $es,
                    )*
                }
            }
        }
    };
}

/// The form of a `singular|plural` template for a count (the template
/// itself if it has one form).
fn form(template: &str, n: u64) -> &str {
    match template.split_once('|') {
        Some((one, _)) if n == 1 => one,
        Some((_, other)) => other,
        None => template,
    }
}

/// Fills `{0}`…`{9}` with the arguments.
fn fill(template: &str, args: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16 * args.len());
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let bytes = after.as_bytes();
        if bytes.len() >= 2 && bytes[0].is_ascii_digit() && bytes[1] == b'}' {
            let k = usize::from(bytes[0] - b'0');
            match args.get(k) {
                Some(a) => out.push_str(&a.to_string()),
                None => debug_assert!(false, "{template}: no argument {k}"),
            }
            rest = &after[2..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A message in a language, its arguments filled in.
pub fn tr(lang: Lang, msg: Msg, args: &[&dyn Display]) -> String {
    fill(form(msg.template(lang), 1), args)
}

/// A message with singular and plural forms, in the form for `n`.
pub fn trn(lang: Lang, msg: Msg, n: u64, args: &[&dyn Display]) -> String {
    fill(form(msg.template(lang), n), args)
}

/// [`tr`] for HTML: the template escaped, the arguments as given (HTML).
pub fn tr_html(lang: Lang, msg: Msg, args: &[&dyn Display]) -> String {
    fill(&crate::html::escape(form(msg.template(lang), 1)), args)
}

/// [`trn`] for HTML.
pub fn trn_html(lang: Lang, msg: Msg, n: u64, args: &[&dyn Display]) -> String {
    fill(&crate::html::escape(form(msg.template(lang), n)), args)
}

/// A count and its noun (a `singular|plural` message whose `{0}` is the
/// count): "1 row", "1,234 rows", "1 fila", "1,234 filas".
pub fn count(lang: Lang, msg: Msg, n: u64) -> String {
    trn(lang, msg, n, &[&crate::numbers::int(n)])
}

/// A sentence of the catalogue with its arguments, as an error value: it
/// displays in English, as logs, JSON documents and other programs read
/// errors, and a front end that knows its reader's language writes it in
/// theirs ([`Said::in_lang`]). An argument may itself be a sentence
/// ([`Said::sentence`]), written in the same language. It may have a cause
/// ([`Said::because`]), which is its [`source`](std::error::Error::source):
/// a front end writes the sentence, then the cause's own text.
#[derive(Debug, Clone)]
pub struct Said {
    msg: Msg,
    count: Option<u64>,
    args: Vec<Arg>,
    source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
}

/// An argument of a [`Said`]: text written for the reader already, or a
/// sentence to write in the reader's language.
#[derive(Debug, Clone)]
enum Arg {
    Text(String),
    Sentence(Box<Said>),
    List(Vec<Said>, &'static str),
}

impl Said {
    /// The sentence `msg`, its arguments to come ([`Said::arg`]).
    pub fn new(msg: Msg) -> Said {
        Said {
            msg,
            count: None,
            args: Vec::new(),
            source: None,
        }
    }

    /// A `singular|plural` sentence in the form for `n`.
    pub fn counted(msg: Msg, n: u64) -> Said {
        Said {
            count: Some(n),
            ..Said::new(msg)
        }
    }

    /// The next argument, written for the reader already (a number with
    /// separators, a name, a path).
    pub fn arg(mut self, a: impl Display) -> Said {
        self.args.push(Arg::Text(a.to_string()));
        self
    }

    /// The next argument, a sentence of its own.
    pub fn sentence(mut self, s: Said) -> Said {
        self.args.push(Arg::Sentence(Box::new(s)));
        self
    }

    /// The same sentence, caused by `source`: an error value of its own
    /// type, which a front end can still tell by downcasting the causes.
    pub fn because(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Said {
        self.source = Some(std::sync::Arc::new(source));
        self
    }

    /// The next argument, sentences joined by `separator`.
    pub fn list(mut self, items: Vec<Said>, separator: &'static str) -> Said {
        self.args.push(Arg::List(items, separator));
        self
    }

    /// The sentence.
    pub fn msg(&self) -> Msg {
        self.msg
    }

    /// The sentence in `lang`, without its cause.
    pub fn in_lang(&self, lang: Lang) -> String {
        let args: Vec<String> = self
            .args
            .iter()
            .map(|a| match a {
                Arg::Text(t) => t.clone(),
                Arg::Sentence(s) => s.in_lang(lang),
                Arg::List(items, separator) => items
                    .iter()
                    .map(|s| s.in_lang(lang))
                    .collect::<Vec<_>>()
                    .join(separator),
            })
            .collect();
        let args: Vec<&dyn Display> = args.iter().map(|a| a as &dyn Display).collect();
        fill(
            form(self.msg.template(lang), self.count.unwrap_or(1)),
            &args,
        )
    }
}

impl Display for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.in_lang(Lang::En))
    }
}

impl std::error::Error for Said {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A [`Said`] of a catalogue message and its arguments, each written with
/// `Display`: `said!(Msg::CtxOpening, path.display())`.
#[macro_export]
macro_rules! said {
    ($msg:expr $(, $arg:expr)* $(,)?) => {
        $crate::Said::new($msg)$(.arg(&$arg))*
    };
}

/// Gives an error the sentence that says what was being done:
/// `File::open(p).said(|| said!(Msg::CtxOpening, p.display()))`.
pub trait SaidContext<T> {
    /// The error, if any, becomes the cause of the sentence `f` makes.
    fn said(self, f: impl FnOnce() -> Said) -> Result<T, Said>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> SaidContext<T> for Result<T, E> {
    fn said(self, f: impl FnOnce() -> Said) -> Result<T, Said> {
        self.map_err(|e| f().because(e))
    }
}

/// The text of every English template between its arguments and its
/// `quoted commands`, of `words` words or more, whitespace collapsed: what
/// must not appear in a Spanish output. A word has a lower-case letter:
/// "(SHA-256, RFC 6962)" has none, and is the same in both languages.
pub fn english_fragments(words: usize) -> Vec<String> {
    let mut out = Vec::new();
    for msg in Msg::ALL {
        // Commands in backquotes are the same in both languages.
        let mut template = String::new();
        for (i, part) in msg.template(Lang::En).split('`').enumerate() {
            template.push_str(if i % 2 == 0 { part } else { "{_}" });
        }
        for f in template.split('|') {
            let mut rest = f;
            let mut pieces = Vec::new();
            while let Some(i) = rest.find('{') {
                pieces.push(&rest[..i]);
                rest = rest[i..].get(3..).unwrap_or("");
            }
            pieces.push(rest);
            for p in pieces {
                let p: Vec<&str> = p.split_whitespace().collect();
                let real = p
                    .iter()
                    .filter(|w| w.chars().any(|c| c.is_lowercase()))
                    .count();
                if real >= words {
                    out.push(p.join(" "));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The messages the verify service's upload page uses in its script.
pub const PAGE_SCRIPT: &[Msg] = &[
    Msg::NoEvidence,
    Msg::LessThanOneIn,
    Msg::Bytes,
    Msg::Rows,
    Msg::Positions,
    Msg::MarkedPositions,
    Msg::DistinctPositions,
    Msg::Recipients,
    Msg::Scores,
    Msg::NoOneIsAccused,
    Msg::NoCopyMatches,
    Msg::OnlyFew,
    Msg::AccusedBig,
    Msg::MatchesAt,
    Msg::ChanceAtMost,
    Msg::CanaryHeld,
    Msg::ThLeakRow,
    Msg::ThMarks,
    Msg::EvidenceCountsAll,
    Msg::EvidenceCounts,
    Msg::PageChosen,
    Msg::PageResultFor,
    Msg::PageSummary,
    Msg::PageEvidence,
    Msg::PageEveryScore,
    Msg::PageBarsNote,
    Msg::PageBoundOf,
    Msg::PageEntryOf,
    Msg::PageChooseFirst,
    Msg::PageVerifying,
    Msg::PageError,
    Msg::PageRequest,
    Msg::PageNoReport,
    Msg::PageFailed,
];

/// The English fragments ([`english_fragments`]) found in a text,
/// whitespace collapsed: empty for a text that is Spanish throughout.
pub fn english_in(text: &str, words: usize) -> Vec<String> {
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    english_fragments(words)
        .into_iter()
        .filter(|f| text.contains(f.as_str()))
        .collect()
}

catalogue! {
    // ---- Nouns with their counts ({0} is the count). ----
    Rows { en: "{0} row|{0} rows", es: "{0} fila|{0} filas" }
    Bytes { en: "{0} byte|{0} bytes", es: "{0} byte|{0} bytes" }
    Positions { en: "{0} position|{0} positions", es: "{0} posición|{0} posiciones" }
    MarkedPositions {
        en: "{0} marked position|{0} marked positions",
        es: "{0} posición marcada|{0} posiciones marcadas",
    }
    DistinctPositions {
        en: "{0} distinct marked position|{0} distinct marked positions",
        es: "{0} posición marcada distinta|{0} posiciones marcadas distintas",
    }
    CanaryRows { en: "{0} canary row|{0} canary rows", es: "{0} fila canario|{0} filas canario" }
    Recipients { en: "{0} recipient|{0} recipients", es: "{0} destinatario|{0} destinatarios" }
    Scores { en: "{0} score|{0} scores", es: "{0} puntuación|{0} puntuaciones" }
    Entries { en: "{0} entry|{0} entries", es: "{0} entrada|{0} entradas" }
    Hashes { en: "{0} hash|{0} hashes", es: "{0} hash|{0} hashes" }

    // ---- Odds in words. ----
    NoEvidence {
        en: "no evidence against them",
        es: "sin evidencia en su contra",
    }
    LessThanOneIn { en: "less than 1 in {0}", es: "menos de 1 en {0}" }

    // ---- Scores described. ----
    OverAll { en: "all the evidence", es: "toda la evidencia" }
    OverCanaries { en: "the canary rows alone", es: "las filas canario por sí solas" }
    OverColumn { en: "column {0} alone", es: "la columna {0} por sí sola" }
    ScoreTardos { en: "Tardos score", es: "puntuación de Tardos" }
    ScoreSingle { en: "single-leaker score", es: "puntuación de filtrador único" }
    ScoreSingleStrict {
        en: "single-leaker score without edits",
        es: "puntuación de filtrador único sin ediciones",
    }
    ScoreTardosFlipped {
        en: "Tardos score of the flipped marks",
        es: "puntuación de Tardos de las marcas invertidas",
    }
    ScoreSingleFlipped {
        en: "single-leaker score of the flipped marks",
        es: "puntuación de filtrador único de las marcas invertidas",
    }
    ScoreMixture {
        en: "mixture score (rows from elsewhere tolerated)",
        es: "puntuación de mezcla (tolera filas de otro origen)",
    }
    ScoreMinority3 {
        en: "minority-vote score (a coalition of 3)",
        es: "puntuación de voto minoritario (una coalición de 3)",
    }
    ScoreMinority5 {
        en: "minority-vote score (a coalition of 5)",
        es: "puntuación de voto minoritario (una coalición de 5)",
    }
    ScoreOther { en: "score", es: "puntuación" }
    ScoreOver { en: "{0}, {1}", es: "{1}, sobre {0}" }

    // ---- The method. ----
    Method {
        en: "Each copy hides one bit per marked slot (equivalent address spellings, the last \
decimal of amounts), drawn for each recipient from a keyed Tardos fingerprinting code. Every \
recipient is scored on the distinct marked slots found in the leak: a symmetric Tardos score \
(robust to collusion), a single-leaker likelihood ratio, minority-vote likelihood ratios for \
coalitions of 3 and 5, and a per-row mixture score that tolerates rows from elsewhere, over all \
the evidence; and each evidence group (each carrier column, the canary rows) alone and with \
every mark flipped, so that noise in one group or a complemented column cannot hide the leaker. \
For a recipient who did not leak, each slot's contribution is independent with a known \
distribution whatever the leaker did, so a Chernoff bound gives the chance of scoring as high. \
Each score has a fixed share of the budget, and the reported bound is the smallest of its bounds \
divided by its share, times the number of recipients: a union bound over every recipient and \
every score tried. Repeated rows count once. Canary rows (synthetic people, each in the copies \
whose bit is 1) found in the leak read as 1; canaries the leak lacks are not read, since which \
canaries a sample keeps says nothing about innocent recipients. A carrier column the leak writes \
in one spelling throughout was normalised by the leaker and is left out.",
        es: "Cada copia oculta un bit por cada posición marcada (grafías equivalentes de un \
domicilio, el último decimal de los importes), tomado para cada destinatario de un código de \
huellas de Tardos con clave. Cada destinatario se puntúa sobre las posiciones marcadas distintas \
halladas en la filtración: una puntuación simétrica de Tardos (resistente a la colusión), una \
razón de verosimilitud de filtrador único, razones de verosimilitud de voto minoritario para \
coaliciones de 3 y de 5, y una puntuación de mezcla por fila que tolera filas de otro origen, \
sobre toda la evidencia; y cada grupo de evidencia (cada columna portadora, las filas canario) \
por separado y con todas sus marcas invertidas, de modo que el ruido en un grupo o una columna \
complementada no puedan ocultar a quien filtró. Para un destinatario que no filtró, la \
aportación de cada posición es independiente y de distribución conocida, haga lo que haga quien \
filtró, por lo que una cota de Chernoff acota la probabilidad de obtener una puntuación tan alta. \
Cada puntuación tiene una parte fija del presupuesto, y la cota informada es la menor de sus \
cotas dividida entre su parte, multiplicada por el número de destinatarios: una cota de la unión \
sobre todos los destinatarios y todas las puntuaciones probadas. Las filas repetidas cuentan una \
sola vez. Las filas canario (personas sintéticas, cada una presente en las copias cuyo bit es 1) \
halladas en la filtración se leen como 1; las que faltan no se leen, pues qué filas canario \
conserva una muestra no dice nada sobre los destinatarios inocentes. Una columna portadora que \
la filtración escribe con una sola grafía en todas sus filas fue normalizada por quien filtró y \
se excluye.",
    }

    // ---- `watermark verify`, as text. ----
    LabelLeakedFile { en: "Leaked file", es: "Archivo filtrado" }
    LabelRead { en: "Read", es: "Lectura" }
    LabelCanaries { en: "Canaries", es: "Canarios" }
    LabelLeftOut { en: "Left out", es: "Excluidas" }
    LabelMaster { en: "Master", es: "Extracto maestro" }
    LabelMatched { en: "Matched", es: "Cotejo" }
    LabelNotCompared { en: "Not compared", es: "Sin comparar" }
    LabelNotInFile { en: "Not in file", es: "Ausentes" }
    ReadLine {
        en: "{0} read, {1} carried marks; {2} ({3})",
        es: "{0} leídas, {1} con marcas; {2} ({3})",
    }
    NoCarrierColumn { en: "no carrier column", es: "ninguna columna portadora" }
    CanariesFound {
        en: "{0} of {1} found (synthetic people that only some copies hold)",
        es: "encontradas: {0} de {1} (personas sintéticas que solo algunas copias contienen)",
    }
    LeftOutWhy {
        en: "{0}: the file writes every slot in one spelling (the leaker normalised the column), \
so it says nothing about who leaked",
        es: "{0}: el archivo escribe todas las posiciones con una sola grafía (quien filtró \
normalizó la columna), por lo que no indica nada sobre quién filtró",
    }
    Repeated {
        en: "{0} position repeated in the file was counted once|{0} positions repeated in the \
file were counted once",
        es: "{0} posición repetida en el archivo se contó una sola vez|{0} posiciones repetidas \
en el archivo se contaron una sola vez",
    }
    Disagreed {
        en: " ({0} disagreed: copies were mixed)",
        es: " ({0} con lecturas discrepantes: se mezclaron copias)",
    }
    MatchedToMaster {
        en: "{0} of {1} matched to the master on {2}",
        es: "{0} de {1} cotejadas con el extracto maestro por {2}",
    }
    NotUsed {
        en: "; not used: {0} matching no row, {1} matching rows of different people",
        es: "; no usadas: {0} sin fila correspondiente, {1} con filas de personas distintas",
    }
    MasterNotNeeded {
        en: "not needed: the file has the identity columns",
        es: "no fue necesario: el archivo tiene las columnas de identidad",
    }
    NotComparedWhy {
        en: "{0} (copies under policy {1}): {2}",
        es: "{0} (copias bajo la política {1}): {2}",
    }
    IdentityWarning {
        en: "WARNING: only {0} of {1} rows have an identity value that reads as a valid {2}. The \
identity column may have been altered or replaced; rows whose identity differs from the \
extract's carry no readable mark.",
        es: "ADVERTENCIA: solo {0} de {1} filas tienen un valor de identidad válido como {2}. La \
columna de identidad pudo haber sido alterada o sustituida; las filas cuya identidad difiere de \
la del extracto no llevan marca legible.",
    }
    NoOneAccused {
        en: "NO ONE ACCUSED: no recipient's copy matches this file strongly enough for the \
threshold of {0}.",
        es: "NO SE ACUSA A NADIE: la copia de ningún destinatario coincide con este archivo con \
la fuerza que exige el umbral de {0}.",
    }
    OnlyFew {
        en: "Only {0} marked position was found; a larger sample may decide.|Only {0} marked \
positions were found; a larger sample may decide.",
        es: "Solo se encontró {0} posición marcada; una muestra mayor podría decidir.|Solo se \
encontraron {0} posiciones marcadas; una muestra mayor podría decidir.",
    }
    AccusedLine { en: "ACCUSED: {0}", es: "ACUSADO: {0}" }
    MatchesAt {
        en: "The file matches {0}'s copy at {1} of {2}.",
        es: "El archivo coincide con la copia de {0} en {1} de {2}.",
    }
    ChanceAtMost {
        en: "The chance that a recipient who did not leak would match this well is at most {0} \
({1}), counting all {2} and the {3} tried.",
        es: "La cota de falsa acusación (la probabilidad de que un destinatario que no filtró \
coincida en esta medida) es a lo sumo {0} ({1}), contando a los {2} y las {3} probadas.",
    }
    DecidedBy { en: "Decided by {0}.", es: "Lo determina la {0}." }
    AgreeingAll {
        en: "Marks agreeing with this copy: {0}",
        es: "Marcas que coinciden con esta copia: {0}",
    }
    AgreeingFirst {
        en: "Marks agreeing with this copy: {0} in all; the first {1}, which the JSON lists too: {2}",
        es: "Marcas que coinciden con esta copia: {0} en total; las primeras {1}, que también \
enumera el JSON: {2}",
    }
    RowWith { en: "row {0} ({1})", es: "fila {0} ({1})" }
    CanaryHeld {
        en: "a canary row this copy holds",
        es: "una fila canario que esta copia contiene",
    }
    AllRecipients {
        en: "All recipients (accused when the bound is at most {0}):",
        es: "Todos los destinatarios (se acusa cuando la cota es a lo sumo {0}):",
    }
    ColRank { en: "RANK", es: "LUGAR" }
    ColRecipient { en: "RECIPIENT", es: "DESTINATARIO" }
    ColScore { en: "SCORE", es: "PUNTUACIÓN" }
    ColMatching { en: "MATCHING", es: "COINCIDENCIAS" }
    ColBound { en: "BOUND", es: "COTA" }
    AccusedMark { en: "accused", es: "acusado" }
    MethodHeading { en: "Method:", es: "Método:" }
    RecheckHeading { en: "Re-check:", es: "Para volver a comprobar:" }
    RecheckText {
        en: "anyone holding the state directory can run `{0}` on the file with BLAKE3 {1}{2}; the \
same key and policy give the same numbers.",
        es: "cualquiera que tenga el directorio de estado puede ejecutar `{0}` sobre el archivo \
con BLAKE3 {1}{2}; la misma clave y la misma política dan las mismas cifras.",
    }
    AndMaster {
        en: " and the master extract with BLAKE3 {0}",
        es: " y el extracto maestro con BLAKE3 {0}",
    }
    LogHeading {
        en: "Issuance log {0} (signed checkpoint of {1}):",
        es: "Bitácora de emisión {0} (punto de control firmado de {1}):",
    }
    ReceivedCopy {
        en: "{0} received copy {1}… on {2}",
        es: "{0} recibió la copia {1}… el {2}",
    }
    AnEntry { en: "{0}: an entry", es: "{0}: una entrada" }
    EntryProved {
        en: "{0}: entry {1}, inclusion proof of {2} verified.",
        es: "{0}: entrada {1}, prueba de inclusión de {2} verificada.",
    }
    NoIssueEntry {
        en: "{0}: no issuance entry found.",
        es: "{0}: no se encontró ninguna entrada de emisión.",
    }
    ThisVerification {
        en: "This verification is entry {0} (by {1}).",
        es: "Esta verificación es la entrada {0} (por {1}).",
    }
    ProofsInJson {
        en: "The proofs and the checkpoint are in --json; anyone with the log's public key \
(`watermark log pubkey`) can check them offline with `watermark log verify-receipt`.",
        es: "Las pruebas y el punto de control están en --json; cualquiera que tenga la clave \
pública de la bitácora (`watermark log pubkey`) puede comprobarlos sin conexión con \
`watermark log verify-receipt`.",
    }
    ReportWritten {
        en: "Signed report written to {0}; anyone with the log's public key (`watermark log \
pubkey`) can check it: `watermark report verify {0} --pubkey KEY`.",
        es: "Informe firmado escrito en {0}; cualquiera que tenga la clave pública de la \
bitácora (`watermark log pubkey`) puede comprobarlo: `watermark report verify {0} --pubkey KEY`.",
    }
    // ---- The signed evidence report (HTML). ----
    ReportTitle { en: "Evidence report: {0}", es: "Informe de evidencia: {0}" }
    Kicker { en: "Signed evidence report", es: "Informe de evidencia firmado" }
    H1LeakedFile { en: "Leaked file {0}", es: "Archivo filtrado {0}" }
    VerifiedBy {
        en: "Verified {0} by {1} with {2}; recorded as entry {3} of the issuance log {4}.",
        es: "Verificado el {0} por {1} con {2}; registrado como la entrada {3} de la bitácora de \
emisión {4}.",
    }
    VerifiedWith {
        en: "Verified with {0}; recorded as entry {1} of the issuance log {2}.",
        es: "Verificado con {0}; registrado como la entrada {1} de la bitácora de emisión {2}.",
    }
    HConclusion { en: "Conclusion", es: "Conclusión" }
    NoOneIsAccused { en: "No one is accused.", es: "No se acusa a nadie." }
    NoCopyMatches {
        en: "No recipient's copy matches this file strongly enough for the threshold of {0}.",
        es: "La copia de ningún destinatario coincide con este archivo con la fuerza que exige \
el umbral de {0}.",
    }
    Closest {
        en: " The closest is {0}, with a bound of {1} ({2}).",
        es: " El más cercano es {0}, con una cota de {1} ({2}).",
    }
    AccusedBig { en: "Accused: {0}", es: "Acusado: {0}" }
    AccusedPara {
        en: "The file matches {0}'s copy at {1} of {2}. The chance that a recipient who did not \
leak would match this well is at most {3} ({4}), counting all {5} compared and {6} each. A \
recipient is accused when this chance is at most {7}. Decided by {8}.",
        es: "El archivo coincide con la copia de {0} en {1} de {2}. La cota de falsa acusación \
(la probabilidad de que un destinatario que no filtró coincida en esta medida) es a lo sumo {3} \
({4}), contando a los {5} comparados y {6} por cada uno. Se acusa a un destinatario cuando esta \
probabilidad es a lo sumo {7}. Lo determina la {8}.",
    }
    HWhatWasRead { en: "What was read", es: "Qué se leyó" }
    FactFile { en: "File", es: "Archivo" }
    FactBlake3 { en: "BLAKE3", es: "BLAKE3" }
    FactSize { en: "Size", es: "Tamaño" }
    FactRows { en: "Rows", es: "Filas" }
    FactIdentity { en: "Identity", es: "Identidad" }
    FactMarkedPositions { en: "Marked positions", es: "Posiciones marcadas" }
    FactCanaryRows { en: "Canary rows", es: "Filas canario" }
    FactRepeats { en: "Repeats", es: "Repeticiones" }
    FactColumnsLeftOut { en: "Columns left out", es: "Columnas excluidas" }
    FactNotInFile { en: "Not in the file", es: "Ausentes del archivo" }
    FactMaster { en: "Master extract", es: "Extracto maestro" }
    FactCopiesCompared { en: "Copies compared", es: "Copias comparadas" }
    FactNotCompared { en: "Not compared", es: "Sin comparar" }
    RowsFact {
        en: "{0} read; {1} of them carried marks not seen in an earlier row",
        es: "{0} leídas; {1} de ellas llevaban marcas no vistas en una fila anterior",
    }
    NoIdentitySkipped {
        en: "; {0} had no identity and was skipped|; {0} had no identity and were skipped",
        es: "; {0} no tenía identidad y se omitió|; {0} no tenían identidad y se omitieron",
    }
    IdentityFact {
        en: "{0} of {1} have a valid {2}",
        es: "{0} de {1} tienen un valor válido como {2}",
    }
    IdentityAltered {
        en: "the identity column may have been altered or replaced",
        es: "la columna de identidad pudo haber sido alterada o sustituida",
    }
    IdentityNoMark {
        en: "rows whose identity differs from the extract's carry no readable mark",
        es: "las filas cuya identidad difiere de la del extracto no llevan marca legible",
    }
    PositionsFact {
        en: "{0}, each counted once ({1})",
        es: "{0}, cada una contada una sola vez ({1})",
    }
    NoCanaries {
        en: "none were made for these copies",
        es: "no se crearon para estas copias",
    }
    NoneOf { en: "none", es: "ninguna" }
    GroupLine {
        en: "{0} under key {1}, policy {2} ({3})",
        es: "{0} bajo la clave {1}, política {2} ({3})",
    }
    HMethod { en: "How the attribution works", es: "Cómo funciona la atribución" }
    InNumbers {
        en: "In numbers: {0} was compared, with {1}; every bound below already counts it. A \
recipient is accused only when their bound is at most {2}. The bound holds whatever the leaker \
did to the file: an innocent recipient is accused with at most that chance.|In numbers: {0} were \
compared, with {1} each; every bound below already counts all of them. A recipient is accused \
only when their bound is at most {2}. The bound holds whatever the leaker did to the file: an \
innocent recipient is accused with at most that chance.",
        es: "En cifras: se comparó {0}, con {1}; cada cota de abajo ya lo cuenta. Solo se acusa a \
un destinatario cuando su cota es a lo sumo {2}. La cota vale haga lo que haga quien filtró con \
el archivo: un destinatario inocente resulta acusado con una probabilidad de a lo sumo ese \
valor.|En cifras: se compararon {0}, con {1} cada uno; cada cota de abajo ya los cuenta a todos. \
Solo se acusa a un destinatario cuando su cota es a lo sumo {2}. La cota vale haga lo que haga \
quien filtró con el archivo: un destinatario inocente resulta acusado con una probabilidad de a \
lo sumo ese valor.",
    }
    HRanking { en: "Every recipient", es: "Todos los destinatarios" }
    RankingNote {
        en: "Ranked by bound. Score: the symmetric Tardos score (0 on average for a recipient \
who did not leak). Matching: positions where the file reads this recipient's bit, of {0}. \
Accused when the bound is at most {1}. In words: what the bound means; a bound of 1% or more is \
no evidence against the recipient.",
        es: "Ordenados por cota. Puntuación: la puntuación simétrica de Tardos (0 en promedio \
para un destinatario que no filtró). Coincidencias: posiciones en que el archivo lee el bit de \
este destinatario, de {0}. Se acusa cuando la cota es a lo sumo {1}. En palabras: lo que \
significa la cota; una cota de 1% o más no es evidencia contra el destinatario.",
    }
    ThRank { en: "Rank", es: "Lugar" }
    ThRecipient { en: "Recipient", es: "Destinatario" }
    ThScore { en: "Score", es: "Puntuación" }
    ThSingleScore { en: "Single-leaker score", es: "Puntuación de filtrador único" }
    ThMatching { en: "Matching", es: "Coincidencias" }
    ThBound { en: "Bound", es: "Cota" }
    ThInWords { en: "In words", es: "En palabras" }
    ChartTitle {
        en: "Score of {0}, highest bound last",
        es: "Puntuación de {0}, la cota más alta al final",
    }
    ChartFirst {
        en: "The chart shows the first {0} of {1}; the table lists them all.",
        es: "La gráfica muestra los primeros {0} de {1}; la tabla los enumera a todos.",
    }
    HEvidence { en: "Evidence rows", es: "Filas de evidencia" }
    EvidenceNote {
        en: "Rows of the leaked file (1 is the first data row) whose marks agree with the \
accused's copy: a carrier column whose spelling or last digit is the copy's, or a canary row the \
copy holds.",
        es: "Filas del archivo filtrado (1 es la primera fila de datos) cuyas marcas coinciden \
con la copia del acusado: una columna portadora cuya grafía o último dígito es el de la copia, \
o una fila canario que la copia contiene.",
    }
    AgreeingWith {
        en: "Agreeing with {0}'s copy: {1}",
        es: "Coincidencias con la copia de {0}: {1}",
    }
    EvidenceCountsAll { en: "{0}, in {1}", es: "{0}, en {1}" }
    EvidenceCounts {
        en: "{0} agree; the first {1}, in {2}, are listed here and in the embedded JSON",
        es: "coinciden {0}; las primeras {1}, en {2}, se enumeran aquí y en el JSON incrustado",
    }
    ThLeakRow { en: "Leak row", es: "Fila de la filtración" }
    ThMarks { en: "Marks", es: "Marcas" }
    EvidenceFirstRows {
        en: "The first {0} rows; the embedded JSON report lists all {1}.",
        es: "Las primeras {0} filas; el informe JSON incrustado las enumera todas ({1}).",
    }
    FactEntry { en: "Entry", es: "Entrada" }
    FactTime { en: "Time", es: "Fecha y hora" }
    FactRecipient { en: "Recipient", es: "Destinatario" }
    FactCopy { en: "Copy", es: "Copia" }
    FactMadeFrom { en: "Made from", es: "Hecha a partir de" }
    FactInvestigator { en: "Investigator", es: "Investigador" }
    FactLeakedFile { en: "Leaked file", es: "Archivo filtrado" }
    FactResult { en: "Result", es: "Resultado" }
    FactEntryAsLogged { en: "Entry as logged", es: "Entrada tal como se registró" }
    FactLeafHash { en: "Leaf hash", es: "Hash de hoja" }
    FactInclusionProof { en: "Inclusion proof", es: "Prueba de inclusión" }
    FactCheckpoint { en: "Checkpoint", es: "Punto de control" }
    FactEntries { en: "Entries", es: "Entradas" }
    FactPublicKey { en: "Public key", es: "Clave pública" }
    SlotOf { en: "{0}, slot {1}", es: "{0}, ranura {1}" }
    MadeFrom {
        en: "input BLAKE3 {0} ({1}) under key {2}, policy {3}",
        es: "BLAKE3 de entrada {0} ({1}) bajo la clave {2}, política {3}",
    }
    AccusedItem { en: "{0} (slot {1}, bound {2})", es: "{0} (ranura {1}, cota {2})" }
    ResultNone {
        en: "no one accused ({0} compared, threshold {1})|no one accused ({0} compared, \
threshold {1})",
        es: "no se acusa a nadie ({0} comparado, umbral {1})|no se acusa a nadie ({0} \
comparados, umbral {1})",
    }
    ResultAccused {
        en: "accused {0} ({1} compared, threshold {2})|accused {0} ({1} compared, threshold {2})",
        es: "se acusa a {0} ({1} comparado, umbral {2})|se acusa a {0} ({1} comparados, umbral \
{2})",
    }
    LeafHashNote {
        en: "{0} (SHA-256 of 0x00 and the entry)",
        es: "{0} (SHA-256 de 0x00 y la entrada)",
    }
    ProofNone {
        en: "no hashes: the entry is the whole tree",
        es: "sin hashes: la entrada es todo el árbol",
    }
    ProofSome { en: "{0} (RFC 9162), leaf to root:", es: "{0} (RFC 9162), de la hoja a la raíz:" }
    CheckpointBelow {
        en: "the signed checkpoint below",
        es: "el punto de control firmado de abajo",
    }
    HLog { en: "The issuance log", es: "La bitácora de emisión" }
    LogIntro {
        en: "Every copy issued and every verification is an entry of the append-only issuance \
log {0}, hashed into a Merkle tree (RFC 6962) whose root is signed after every entry. An \
inclusion proof shows that an entry is in the tree a signed checkpoint names, so it cannot have \
been changed or removed since without the signature failing.",
        es: "Cada copia emitida y cada verificación es una entrada de la bitácora de emisión {0}, \
a la que solo se añaden entradas, resumida en un árbol de Merkle (RFC 6962) cuya raíz se firma \
después de cada entrada. Una prueba de inclusión muestra que una entrada está en el árbol que \
nombra un punto de control firmado, por lo que no pudo haberse modificado ni eliminado desde \
entonces sin que falle la firma.",
    }
    EntriesRoot { en: "{0}, root {1}", es: "{0}, raíz {1}" }
    PublicKeyNote {
        en: "{0} (as the report states it: check it against the key the registry publishes, not \
against this page)",
        es: "{0} (tal como la declara el informe: compárela con la clave que publica el \
registro, no con esta página)",
    }
    HThisVerification { en: "This verification", es: "Esta verificación" }
    NoIssueFor {
        en: "No issuance entry was found for {0}.",
        es: "No se encontró ninguna entrada de emisión para {0}.",
    }
    CopyIssuedTo { en: "Copy issued to {0}{1}", es: "Copia emitida a {0}{1}" }
    OfN { en: " ({0} of {1})", es: " ({0} de {1})" }
    HSignedCheckpoint { en: "Signed checkpoint", es: "Punto de control firmado" }
    CheckpointNote {
        en: "The log's latest checkpoint when the report was made (C2SP tlog-checkpoint, signed \
note): origin, number of entries, root (base64), and the signature.",
        es: "El último punto de control de la bitácora cuando se generó el informe (C2SP \
tlog-checkpoint, nota firmada): origen, número de entradas, raíz (base64) y la firma.",
    }
    HRecheck {
        en: "How anyone can check this report",
        es: "Cómo cualquiera puede comprobar este informe",
    }
    RecheckStep1 {
        en: "Get the issuance log's public key from the registry, not from this page (the \
registry prints it with {0}). The key this report names is {1}. Then check the signature and the \
log receipts the report carries (save this file as REPORT.html):",
        es: "Obtenga la clave pública de la bitácora de emisión del registro, no de esta página \
(el registro la imprime con {0}). La clave que nombra este informe es {1}. Después compruebe la \
firma y los recibos de la bitácora que contiene el informe (guarde este archivo como \
REPORT.html):",
    }
    RecheckStep2 {
        en: "Check each log entry on its own: save the receipts and the checkpoint, then verify \
each receipt (give {0} with a recipient's copy to check that it is the copy the entry names; \
each copy's receipt was also written beside it when it was issued, as {1}):",
        es: "Compruebe cada entrada de la bitácora por separado: guarde los recibos y el punto \
de control, y luego verifique cada recibo (indique {0} con la copia de un destinatario para \
comprobar que es la copia que nombra la entrada; el recibo de cada copia también se escribió \
junto a ella al emitirla, como {1}):",
    }
    RecheckStep3 {
        en: "Check that the log has not been rewritten since (whoever holds the log):",
        es: "Compruebe que la bitácora no se ha reescrito desde entonces (quien tenga la \
bitácora):",
    }
    RecheckStep4 {
        en: "Re-run the attribution (whoever holds the state directory) on the file whose \
BLAKE3 is {0}{1}; the same key and policy give the same numbers, and the run is logged as a new \
verification. The file given here was {2}:",
        es: "Vuelva a ejecutar la atribución (quien tenga el directorio de estado) sobre el \
archivo cuyo BLAKE3 es {0}{1}; la misma clave y la misma política dan las mismas cifras, y la \
ejecución se registra como una nueva verificación. El archivo indicado aquí fue {2}:",
    }
    AndMasterHtml {
        en: " and the master extract whose BLAKE3 is {0}",
        es: " y el extracto maestro cuyo BLAKE3 es {0}",
    }
    RecheckComment {
        en: "# FILE is the file this report is about",
        es: "# FILE es el archivo de este informe",
    }
    HSignature { en: "Signature", es: "Firma" }
    SigPara1 {
        en: "This file is signed with Ed25519 by the issuance log's key {0}, key id {1}: the key \
that signs the log's checkpoints. The signature is the last line of the file, an HTML comment of \
the form",
        es: "Este archivo está firmado con Ed25519 por la clave de la bitácora de emisión {0}, \
identificador de clave {1}: la clave que firma los puntos de control de la bitácora. La firma es \
la última línea del archivo, un comentario HTML de la forma",
    }
    HexDigits { en: "128 HEX DIGITS", es: "128 DÍGITOS HEX" }
    SigPara2 {
        en: "followed by a newline and nothing else. It covers the context line {0} and a \
newline, followed by every byte of this file before that last line, from {1} to the newline \
after {2}. Changing any byte of the file, the signature line included, makes the check fail; so \
does re-saving it with other line ends or another encoding. Keep it as it was received.",
        es: "seguida de un salto de línea y nada más. Cubre la línea de contexto {0} y un salto \
de línea, seguidos de cada byte de este archivo anterior a esa última línea, desde {1} hasta el \
salto de línea posterior a {2}. Cambiar cualquier byte del archivo, incluida la línea de firma, \
hace fallar la comprobación; también volver a guardarlo con otros finales de línea u otra \
codificación. Consérvelo tal como se recibió.",
    }
    SigPara3 {
        en: "The data of this report is also embedded, signed with the rest, as the JSON \
document of {0} in the element with id {1}. The report holds no secret: no master key, signing \
key or access token.",
        es: "Los datos de este informe también van incrustados, firmados con el resto, como el \
documento JSON de {0} en el elemento con id {1}. El informe no contiene ningún secreto: ni la \
clave maestra, ni la clave de firma, ni tokens de acceso.",
    }

    // ---- The verify service's upload page. ----
    PageTitle { en: "Verify a leaked extract", es: "Verificar un extracto filtrado" }
    PageLanguage { en: "Language", es: "Idioma" }
    PageIntro {
        en: "The file is sent to this server, compared with every recipient's copy, and the \
verification is recorded in the signed issuance log under your name (who, when, the file's \
digest and the result; nothing from the file). The answer is an evidence report signed with the \
log's key: keep it as downloaded, and anyone with the log's public key can check it with {0}.",
        es: "El archivo se envía a este servidor, se compara con la copia de cada destinatario, \
y la verificación se registra en la bitácora de emisión firmada a su nombre (quién, cuándo, el \
resumen criptográfico del archivo y el resultado; nada del contenido del archivo). La respuesta \
es un informe de evidencia firmado con la clave de la bitácora: consérvelo tal como se descargó; \
cualquiera que tenga la clave pública de la bitácora puede comprobarlo con {0}.",
    }
    PageToken { en: "Your token", es: "Su token de acceso" }
    PageFileLabel {
        en: "The leaked file, as you received it (CSV or TSV in any common text encoding, Excel \
             or OpenDocument workbook, JSON, NDJSON, Parquet, Arrow IPC, a zip archive of them, or \
             any of them gzip- or zstd-compressed)",
        es: "El archivo filtrado, tal como lo recibió (CSV o TSV en cualquier codificación de \
             texto común, libro de Excel u OpenDocument, JSON, NDJSON, Parquet, Arrow IPC, un \
             archivo zip que los contenga, o cualquiera de ellos comprimido con gzip o zstd)",
    }
    ReadAs { en: ", read as {0}", es: ", leído como {0}" }
    LabelReadAs { en: "Read as", es: "Leído como" }
    ReadTables { en: "; tables read: {0}", es: "; tablas leídas: {0}" }
    ReadSkipped { en: "; skipped: {0}", es: "; no leídas: {0}" }
    ReadNoHeader {
        en: "; no header row: read with the extract's ({0})",
        es: "; sin fila de encabezado: leído con el del extracto ({0})",
    }
    SkipNotATable { en: "not a table", es: "no es una tabla" }
    SkipNestedArchive {
        en: "an archive inside the archive is not opened",
        es: "un archivo comprimido dentro del archivo no se abre",
    }
    SkipEmpty { en: "empty", es: "vacío" }
    SkipNoPolicyColumns {
        en: "names none of the policy's columns",
        es: "no nombra ninguna columna de la política",
    }
    HeaderCheckIdentity {
        en: "column {0} holds identifiers by its values, and is the extract's identity column {1}",
        es: "la columna {0} contiene identificadores por sus valores y es la columna de identidad \
             {1} del extracto",
    }
    HeaderCheckNoIdentifier {
        en: "the columns' content shows no identifier to check them by",
        es: "el contenido de las columnas no muestra ningún identificador con el cual comprobarlas",
    }
    HeaderCheckSeveral {
        en: "the columns' content shows no single identifier column to check them by",
        es: "el contenido de las columnas no muestra una sola columna de identificadores con la \
             cual comprobarlas",
    }
    PageDrop {
        en: "Drop the file here, or click to choose it",
        es: "Suelte el archivo aquí o haga clic para elegirlo",
    }
    PageVerify { en: "Verify", es: "Verificar" }
    PageDownloadJson { en: "Download the JSON report", es: "Descargar el informe JSON" }
    PageDownloadSigned { en: "Download signed report", es: "Descargar el informe firmado" }
    PageChosen { en: "{0} ({1})", es: "{0} ({1})" }
    PageResultFor { en: "Result for {0}", es: "Resultado para {0}" }
    PageSummary {
        en: "BLAKE3 {0} ({1}); {2} read, {3}.",
        es: "BLAKE3 {0} ({1}); {2} leídas, {3}.",
    }
    PageEvidence { en: "Evidence rows: {0}.", es: "Filas de evidencia: {0}." }
    PageEveryScore { en: "Every recipient's score", es: "Puntuación de cada destinatario" }
    PageBarsNote {
        en: "Accused when the bound is at most {0}. Bars: the symmetric Tardos score (0 on \
average for a recipient who did not leak).",
        es: "Se acusa cuando la cota es a lo sumo {0}. Barras: la puntuación simétrica de \
Tardos (0 en promedio para un destinatario que no filtró).",
    }
    PageBoundOf { en: "bound {0}", es: "cota {0}" }
    PageEntryOf {
        en: "This verification is entry {0} of the issuance log {1}.",
        es: "Esta verificación es la entrada {0} de la bitácora de emisión {1}.",
    }
    PageChooseFirst { en: "Choose a file first.", es: "Primero elija un archivo." }
    PageVerifying { en: "Verifying {0}…", es: "Verificando {0}…" }
    PageError { en: "Error {0}: {1}", es: "Error {0}: {1}" }
    PageRequest { en: " (request {0})", es: " (solicitud {0})" }
    PageNoReport {
        en: "the answer carries no report",
        es: "la respuesta no contiene ningún informe",
    }
    PageFailed { en: "The request failed: {0}", es: "La solicitud falló: {0}" }
    // ---- `watermark issue`. ----
    Copies { en: "{0} copy|{0} copies", es: "{0} copia|{0} copias" }
    MarkedSlots {
        en: "{0} marked slot|{0} marked slots",
        es: "{0} posición marcada|{0} posiciones marcadas",
    }
    IssuedHead {
        en: "Issued {0} of {1} ({2}, {3}; key {4}, policy {5}):|Issued {0} of {1} ({2}, {3}; key \
{4}, policy {5}):",
        es: "Se emitió {0} de {1} ({2}, {3}; clave {4}, política {5}):|Se emitieron {0} de {1} \
({2}, {3}; clave {4}, política {5}):",
    }
    SlotsCanaryOnly {
        en: "no carrier cells, canary rows only",
        es: "sin celdas portadoras, solo filas canario",
    }
    SlotsEach { en: "{0} each", es: "{0} en cada una" }
    CanariesMade {
        en: "{0} canary row was made for this extract; each copy holds it if its recipient's code \
selects it.|{0} canary rows were made for this extract; each copy holds those its recipient's \
code selects.",
        es: "Se creó {0} fila canario para este extracto; cada copia la contiene si el código de \
su destinatario la selecciona.|Se crearon {0} filas canario para este extracto; cada copia \
contiene las que selecciona el código de su destinatario.",
    }
    CopyLine {
        en: "(slot {0}, log entry {1}{2}{3})",
        es: "(ranura {0}, entrada {1} de la bitácora{2}{3})",
    }
    AlreadyLogged {
        en: "; the same copy was logged before, not logged again",
        es: "; la misma copia ya se había registrado y no se registró de nuevo",
    }
    LoggedIn {
        en: "Logged in {0} (now {1}, each with its signed checkpoint); each copy's receipt is \
beside it as ID.receipt.",
        es: "Registrado en {0} (ahora {1}, cada una con su punto de control firmado); el recibo \
de cada copia está junto a ella como ID.receipt.",
    }

    // ---- `watermark init`. ----
    InitCreated { en: "Created state {0}", es: "Estado creado en {0}" }
    InitMasterKey {
        en: "master key {0} in master.key (mode 0600)",
        es: "clave maestra {0} en master.key (permisos 0600)",
    }
    InitLog {
        en: "issuance log {0} in log/, signed with log/signing.key (mode 0600)",
        es: "bitácora de emisión {0} en log/, firmada con log/signing.key (permisos 0600)",
    }
    InitPubkey {
        en: "log public key, for auditors: {0}",
        es: "clave pública de la bitácora, para los auditores: {0}",
    }
    InitKeep {
        en: "Keep this directory private and backed up: without its key no copy can be \
attributed.",
        es: "Mantenga este directorio en privado y respaldado: sin su clave no se puede atribuir \
ninguna copia.",
    }

    // ---- `watermark demo`. ----
    DemoRoll {
        en: "A synthetic electoral roll of {0} (names, CURP, addresses, sections): {1}",
        es: "Un padrón electoral sintético de {0} (nombres, CURP, domicilios, secciones): {1}",
    }
    DemoInit {
        en: "A new master key ({0}), kept private with mode 0600.",
        es: "Una nueva clave maestra ({0}), guardada en privado con permisos 0600.",
    }
    DemoPolicy {
        en: "Identity: {0}. Marks go in: {1}.",
        es: "Identidad: {0}. Las marcas van en: {1}.",
    }
    DemoIssued {
        en: "{0}, one pass over the roll, {1} in each.",
        es: "{0}, una sola lectura del padrón, {1} en cada una.",
    }
    DemoLeaks {
        en: "{0}'s copy leaks: {1} random row, posted online: {2}|{0}'s copy leaks: {1} random \
rows, shuffled, posted online: {2}",
        es: "Se filtra la copia de {0}: {1} fila al azar, publicada en línea: {2}|Se filtra la \
copia de {0}: {1} filas al azar, en desorden, publicadas en línea: {2}",
    }
    DemoCorrect {
        en: "The leak came from {0}: the verdict is correct.",
        es: "La filtración provino de {0}: el veredicto es correcto.",
    }
    DemoWrong {
        en: "The leak came from {0}: the verdict is NOT correct.",
        es: "La filtración provino de {0}: el veredicto NO es correcto.",
    }
    DemoFilesIn { en: "The demo's files are in {0}.", es: "Los archivos de la demostración están en {0}." }
    DemoFilesRemoved {
        en: "The demo's files were in a temporary directory, now removed (keep them with --dir \
DIR).",
        es: "Los archivos de la demostración estaban en un directorio temporal, ya eliminado \
(consérvelos con --dir DIR).",
    }
    // ---- `watermark report verify`. ----
    Receipts { en: "{0} receipt|{0} receipts", es: "{0} recibo|{0} recibos" }
    RvVerifies {
        en: "The report {0} verifies.",
        es: "El informe {0} se verificó correctamente.",
    }
    RvLabelSignature { en: "Signature", es: "Firma" }
    RvLabelTrust { en: "Trust", es: "Confianza" }
    RvLabelLeakedFile { en: "Leaked file", es: "Archivo filtrado" }
    RvLabelResult { en: "Result", es: "Resultado" }
    RvLabelRecorded { en: "Recorded", es: "Registro" }
    RvLabelReceipts { en: "Receipts", es: "Recibos" }
    RvLabelCheckpoint { en: "Checkpoint", es: "Punto de control" }
    RvLabelWitnesses { en: "Witnesses", es: "Testigos" }
    RvLabelSaved { en: "Saved", es: "Guardado" }
    RvSignature {
        en: "Ed25519 by {0}, the key {1}; it covers the context line \"{2}\" and the {3} of the \
file before its signature line",
        es: "Ed25519 con la clave {0}, {1}; cubre la línea de contexto \"{2}\" y los {3} del \
archivo anteriores a su línea de firma",
    }
    RvKeyGiven { en: "given with --pubkey", es: "indicada con --pubkey" }
    RvKeyIn { en: "in {0}", es: "contenida en {0}" }
    RvTrustMatches {
        en: "only that key was used: the public key printed inside the report proves nothing by \
itself (it matches the key given)",
        es: "solo se usó esa clave: la clave pública impresa dentro del informe no prueba nada \
por sí misma (coincide con la clave indicada)",
    }
    RvTrustDiffers {
        en: "only that key was used: the public key printed inside the report proves nothing by \
itself (it does not match the key given)",
        es: "solo se usó esa clave: la clave pública impresa dentro del informe no prueba nada \
por sí misma (no coincide con la clave indicada)",
    }
    RvSameFile { en: "; {0} is that file (same BLAKE3)", es: "; {0} es ese archivo (mismo BLAKE3)" }
    RvNoOne { en: "no one accused (threshold {0})", es: "no se acusa a nadie (umbral {0})" }
    RvAccusedItem { en: "{0} (bound {1})", es: "{0} (cota {1})" }
    RvAccused { en: "accused {0}", es: "se acusa a {0}" }
    RvRecorded {
        en: "{0} by {1}, entry {2} of log {3}",
        es: "{0} por {1}, entrada {2} de la bitácora {3}",
    }
    RvCopyEntry { en: "entry {0} ({1}'s copy)", es: "entrada {0} (copia de {1})" }
    RvReceipts {
        en: "{0} inclusion proof checks out against the log's signed checkpoints: entry {1} (this \
verification){2}|{0} inclusion proofs check out against the log's signed checkpoints: entry {1} \
(this verification){2}",
        es: "{0} prueba de inclusión se comprueba contra los puntos de control firmados de la \
bitácora: entrada {1} (esta verificación){2}|{0} pruebas de inclusión se comprueban contra los \
puntos de control firmados de la bitácora: entrada {1} (esta verificación){2}",
    }
    RvCheckpoint { en: "signed, {0}, root {1}", es: "firmado, {0}, raíz {1}" }
    RvSaved {
        en: "{0} and the checkpoint in {1}: `watermark log verify-receipt FILE --pubkey KEY` \
checks a receipt, `watermark log consistency --state STATE {2}` that the log still extends the \
checkpoint",
        es: "{0} y el punto de control en {1}: `watermark log verify-receipt FILE --pubkey KEY` \
comprueba un recibo, y `watermark log consistency --state STATE {2}` que la bitácora todavía \
extiende el punto de control",
    }
    // ---- `watermark log`. ----
    LogKindIssue { en: "issue", es: "emisión" }
    LogKindVerify { en: "verify", es: "verificación" }
    LogSlot { en: "slot {0}", es: "ranura {0}" }
    LogCopyOf {
        en: "copy {0}… ({1}, {2}) of input {3}…",
        es: "copia {0}… ({1}, {2}) del extracto {3}…",
    }
    LogLeak { en: "leak {0}… ({1}): {2}", es: "filtración {0}… ({1}): {2}" }
    LogNoOne { en: "no one accused", es: "no se acusa a nadie" }
    LogAccusedItem { en: "{0} ({1})", es: "{0} ({1})" }
    LogUnknown {
        en: "an entry of a kind this version does not know",
        es: "una entrada de un tipo que esta versión no conoce",
    }
    LogLabelLog { en: "Log", es: "Bitácora" }
    LogLabelPublicKey { en: "Public key", es: "Clave pública" }
    LogLabelEntries { en: "Entries", es: "Entradas" }
    LogEntriesRoot {
        en: "{0}, root {1} (SHA-256, RFC 6962)",
        es: "{0}, raíz {1} (SHA-256, RFC 6962)",
    }
    LogColIndex { en: "INDEX", es: "ÍNDICE" }
    LogColTime { en: "TIME", es: "FECHA Y HORA" }
    LogColWhat { en: "WHAT", es: "QUÉ" }
    LogLatestCheckpoint { en: "Latest signed checkpoint:", es: "Último punto de control firmado:" }
    LvVerifies {
        en: "The issuance log {0} verifies.",
        es: "La bitácora de emisión {0} se verificó correctamente.",
    }
    LvEntries {
        en: "{0}; {1} signed checkpoints (one per entry, and the empty tree), every signature \
checked with {2}{3}",
        es: "{0}; {1} puntos de control firmados (uno por entrada, y el del árbol vacío), cada \
firma comprobada con {2}{3}",
    }
    LvKeyGiven { en: " (the key given)", es: " (la clave indicada)" }
    LvRoot { en: "root at {0}: {1}", es: "raíz en el tamaño {0}: {1}" }
    LvSigningKey { en: "signing key: {0}", es: "clave de firma: {0}" }
    LvSigningMatches {
        en: "private (mode 0600) and the key of the public key",
        es: "privada (permisos 0600) y la clave de la clave pública",
    }
    LvSigningAbsent {
        en: "not present (an auditor's copy): not checked",
        es: "no está presente (la copia de un auditor): no se comprobó",
    }
    LvSigningUnreadable {
        en: "not readable by this user: not checked",
        es: "este usuario no puede leerla: no se comprobó",
    }
    LvNotChecked { en: "not checked", es: "no se comprobó" }
    LvPolicies {
        en: "policies: the {0} the entries name are stored and unchanged|policies: the {0} the \
entries name are stored and unchanged",
        es: "políticas: la {0} que nombran las entradas está guardada y sin cambios|políticas: \
las {0} que nombran las entradas están guardadas y sin cambios",
    }
    LvPoliciesNot {
        en: "policies: not in this directory, not checked",
        es: "políticas: no están en este directorio, no se comprobaron",
    }
    LvCanaries {
        en: "canary lists: the {0} the entries record are present and unchanged|canary lists: \
the {0} the entries record are present and unchanged",
        es: "listas de canarios: la {0} que registran las entradas está presente y sin \
cambios|listas de canarios: las {0} que registran las entradas están presentes y sin cambios",
    }
    LvCanariesNot {
        en: "canary lists: not in this directory (they are secret), not checked",
        es: "listas de canarios: no están en este directorio (son secretas), no se comprobaron",
    }
    VrVerifies {
        en: "The receipt verifies: entry {0} is in the checkpoint of {1} of log {2}, signed by {3}.",
        es: "El recibo se verificó correctamente: la entrada {0} está en el punto de control de \
{1} de la bitácora {2}, firmado por {3}.",
    }
    VrSameCopy { en: "{0} is that copy (same BLAKE3).", es: "{0} es esa copia (mismo BLAKE3)." }
    // ---- `watermark witness`, witness checks, `policy suggest`. ----
    KeysWitnesses { en: "witnesses: {0}", es: "testigos: {0}" }
    KeysCosigned {
        en: "{0} of the {1} required cosigned it ({2})",
        es: "{0} de los {1} requeridos lo cofirmaron ({2})",
    }
    WitnessCreated {
        en: "Witness {0} created in {1} (its signing key: {2}, mode 0600).",
        es: "Testigo {0} creado en {1} (su clave de firma: {2}, permisos 0600).",
    }
    WitnessVerifierKey {
        en: "Its verifier key, for the logs' witness lists and for whoever checks cosignatures:",
        es: "Su clave de verificación, para las listas de testigos de las bitácoras y para quien \
compruebe las cofirmas:",
    }
    WitnessNext {
        en: "Next: `watermark witness trust --dir {0} LOG_KEY` for each log, then `watermark \
witness serve`.",
        es: "Después: `watermark witness trust --dir {0} LOG_KEY` para cada bitácora, y luego \
`watermark witness serve`.",
    }
    WitnessTrustNow {
        en: "Witness {0} now witnesses log {1} (key {2}). It cosigns a checkpoint of it only if it \
extends the last one it cosigned; the first it is sent is taken as it is.",
        es: "El testigo {0} ahora atestigua la bitácora {1} (clave {2}). Solo cofirma un punto de \
control de ella si extiende el último que cofirmó; el primero que recibe se toma tal cual.",
    }
    WitnessTrustAlready {
        en: "Witness {0} already witnessed log {1} (key {2}). It cosigns a checkpoint of it only \
if it extends the last one it cosigned; the first it is sent is taken as it is.",
        es: "El testigo {0} ya atestiguaba la bitácora {1} (clave {2}). Solo cofirma un punto de \
control de ella si extiende el último que cofirmó; el primero que recibe se toma tal cual.",
    }
    WitnessListening { en: "Witness {0} listening on {1}", es: "Testigo {0} escuchando en {1}" }
    WitnessServeKey { en: "verifier key {0}", es: "clave de verificación {0}" }
    WitnessServeLogs { en: "logs: {0}", es: "bitácoras: {0}" }
    WitnessNoneYet { en: "none yet", es: "ninguna todavía" }
    WitnessSubmit {
        en: "logs submit checkpoints to POST {0}",
        es: "las bitácoras envían sus puntos de control a POST {0}",
    }
    PolicyWrote {
        en: "Wrote the suggested policy to {0}",
        es: "Se escribió la política sugerida en {0}",
    }
    // ---- `watermark log prove`, `log consistency`, `log restore`. ----
    LpInCheckpoint {
        en: "Entry {0} of log {1} is in its signed checkpoint of {2}.",
        es: "La entrada {0} de la bitácora {1} está en su punto de control firmado de {2}.",
    }
    LpEntry { en: "entry", es: "entrada" }
    LpLeafHash { en: "leaf hash", es: "hash de hoja" }
    LpInclusion {
        en: "inclusion proof (RFC 9162), {0}:",
        es: "prueba de inclusión (RFC 9162), {0}:",
    }
    LpCheckpoint { en: "checkpoint:", es: "punto de control:" }
    LpWritten {
        en: "Receipt written to {0}; check it with `watermark log verify-receipt {0} --pubkey KEY`.",
        es: "Recibo escrito en {0}; compruébelo con `watermark log verify-receipt {0} --pubkey \
KEY`.",
    }
    LpKeep {
        en: "Keep it with `-o FILE` (or --json) and check it with `watermark log verify-receipt`.",
        es: "Consérvelo con `-o FILE` (o --json) y compruébelo con `watermark log \
verify-receipt`.",
    }
    LcExtends {
        en: "The log extends the old checkpoint: its first {0} are the ones {1} signed.",
        es: "La bitácora extiende el punto de control anterior: sus primeras {0} son las que \
firmó {1}.",
    }
    LcOld { en: "old", es: "anterior" }
    LcNew { en: "new", es: "nuevo" }
    LcSizeRoot { en: "size {0} root {1}", es: "tamaño {0} raíz {1}" }
    LcProof {
        en: "consistency proof (RFC 9162), {0}:",
        es: "prueba de consistencia (RFC 9162), {0}:",
    }
    LrRestored {
        en: "Restored the checkpoints of {0} of {1}: it now holds {2} (root {3}).",
        es: "Se restauraron los puntos de control de {0} de {1}: ahora contiene {2} (raíz {3}).",
    }
    SignedEntries {
        en: "{0} signed entry|{0} signed entries",
        es: "{0} entrada firmada|{0} entradas firmadas",
    }
    LrStill {
        en: " {0} line after them is still unsigned: restore from a later checkpoint, or find \
out who wrote it.| {0} lines after them are still unsigned: restore from a later checkpoint, or \
find out who wrote them.",
        es: " {0} línea posterior sigue sin firmar: restaure desde un punto de control posterior, \
o averigüe quién la escribió.| {0} líneas posteriores siguen sin firmar: restaure desde un punto \
de control posterior, o averigüe quién las escribió.",
    }
    // ---- `watermark log witness`. ----
    WrHead {
        en: "Checkpoint of {0} of log {1} (witness list {2}):",
        es: "Punto de control de {0} de la bitácora {1} (lista de testigos {2}):",
    }
    WrCosigned { en: "cosigned", es: "cofirmó" }
    WrBehind {
        en: "REFUSED: it cosigned a checkpoint of {0}, more than the {1} of this log",
        es: "RECHAZADO: cofirmó un punto de control de {0}, más que las {1} de esta bitácora",
    }
    WrForked {
        en: "REFUSED: it cosigned another root for {0}: this log is forked from the one it saw",
        es: "RECHAZADO: cofirmó otra raíz para {0}: esta bitácora se bifurcó de la que vio",
    }
    WrRefused { en: "refused ({0}): {1}{2}", es: "rechazado ({0}): {1}{2}" }
    WrHint404 {
        en: " (it does not witness this log: `watermark witness trust` adds it)",
        es: " (no atestigua esta bitácora: `watermark witness trust` la agrega)",
    }
    WrHint403 {
        en: " (it trusts another key for this log)",
        es: " (confía en otra clave para esta bitácora)",
    }
    WrUnreachable { en: "not reached: {0}", es: "no se pudo contactar: {0}" }
    WrSummary {
        en: "{0} of {1} witnesses cosigned it ({2} required)",
        es: "{0} de {1} testigos lo cofirmaron ({2} requeridos)",
    }
    WrKept { en: "; kept in {0}.", es: "; guardado en {0}." }

    // ---- Errors: where in the input, and the scheme's errors. ----
    ErrAtRowLine { en: "row {0} (line {1})", es: "fila {0} (línea {1})" }
    ErrAtLine { en: "line {0}", es: "línea {0}" }
    ErrAtRow { en: "row {0}", es: "fila {0}" }
    ErrInColumn { en: "column {0}", es: "columna {0}" }
    ErrAtByte { en: "byte {0}", es: "byte {0}" }
    ErrAtEntry { en: "entry {0}", es: "entrada {0}" }
    ErrAtCheckpoint { en: "checkpoint {0}", es: "punto de control {0}" }
    ErrCsv { en: "malformed CSV: {0}", es: "CSV mal formado: {0}" }
    ErrUnequalLengths {
        en: "row has {0} fields but the header has {1}",
        es: "la fila tiene {0} campos, pero el encabezado tiene {1}",
    }
    ErrUtf8 {
        en: "not valid UTF-8: the text is in another encoding than the one it was read in (give \
its encoding: utf-8, utf-16le, utf-16be, windows-1252), or this is not a table",
        es: "no es UTF-8 válido: el texto está en otra codificación que la usada para leerlo \
(indique su codificación: utf-8, utf-16le, utf-16be, windows-1252), o no es una tabla",
    }
    ErrEmptyInput {
        en: "the input is empty: expected a header row",
        es: "la entrada está vacía: se esperaba una fila de encabezado",
    }
    ErrMissingColumn {
        en: "the policy's {0} column {1} is not in the input (columns: {2})",
        es: "la columna {1}, que la política usa como {0}, no está en la entrada (columnas: {2})",
    }
    RoleIdentity { en: "identity", es: "identidad" }
    RoleCarrier { en: "carrier", es: "portadora" }
    RoleCanary { en: "canary", es: "canario" }
    RoleMatching { en: "matching", es: "cotejo" }
    ErrEmptyIdentity { en: "identity value is empty", es: "el valor de identidad está vacío" }
    ErrPolicy { en: "invalid policy: {0}", es: "política no válida: {0}" }
    ErrKeyPermissions {
        en: "key file {0} has mode {1}: it must be readable by its owner only (chmod 600)",
        es: "el archivo de clave {0} tiene permisos {1}: solo su dueño debe poder leerlo \
(chmod 600)",
    }
    ErrInvalidRecipient {
        en: "recipient id {0} is not allowed: use 1-64 characters from A-Z a-z 0-9 . _ -, \
starting with a letter or digit, and not a device name (CON, NUL, COM1 ...)",
        es: "el identificador de destinatario {0} no es válido: use de 1 a 64 caracteres de \
A-Z a-z 0-9 . _ -, que empiece con una letra o un dígito y que no sea un nombre de dispositivo \
(CON, NUL, COM1 ...)",
    }

    // ---- Errors: the system's, in words. ----
    IoNotFound { en: "no such file or directory", es: "no existe el archivo o directorio" }
    IoPermissionDenied { en: "permission denied", es: "permiso denegado" }
    IoAlreadyExists { en: "it exists already", es: "ya existe" }
    IoIsADirectory { en: "it is a directory", es: "es un directorio" }
    IoNotADirectory { en: "not a directory", es: "no es un directorio" }
    IoStorageFull { en: "no space left on the device", es: "no queda espacio en el dispositivo" }
    IoUnexpectedEof {
        en: "the file ends before its end (cut short)",
        es: "el archivo termina antes de tiempo (está incompleto)",
    }
    IoConnectionRefused { en: "connection refused", es: "conexión rechazada" }
    IoTimedOut { en: "timed out", es: "se agotó el tiempo de espera" }
    IoReadOnly { en: "read-only file system", es: "sistema de archivos de solo lectura" }
    IoDirectoryNotEmpty { en: "directory not empty", es: "el directorio no está vacío" }
    IoAddrInUse { en: "address already in use", es: "la dirección ya está en uso" }

    // ---- Errors: what was being done. ----
    CtxOpening { en: "opening {0}", es: "al abrir {0}" }
    CtxReading { en: "reading {0}", es: "al leer {0}" }
    CtxWriting { en: "writing {0}", es: "al escribir {0}" }
    CtxCreating { en: "creating {0}", es: "al crear {0}" }
    CtxReadingPolicy { en: "reading policy {0}", es: "al leer la política {0}" }
    CtxMatching { en: "matching {0} to {1}", es: "al cotejar {0} con {1}" }
    CtxTempFileIn { en: "creating a temporary file in {0}", es: "al crear un archivo temporal en {0}" }
    CtxTempFile { en: "creating a temporary file", es: "al crear un archivo temporal" }
    CtxWritingTemp { en: "writing a temporary file", es: "al escribir un archivo temporal" }
    CtxStdinTemp {
        en: "creating a temporary file for standard input",
        es: "al crear un archivo temporal para la entrada estándar",
    }
    CtxReadingStdin { en: "reading standard input", es: "al leer la entrada estándar" }
    CtxRecordingVerification {
        en: "recording the verification in the issuance log",
        es: "al registrar la verificación en la bitácora de emisión",
    }

    // ---- Progress bars. ----
    ProgressHashing { en: "hashing", es: "calculando el resumen" }
    ProgressIssuing { en: "issuing", es: "emitiendo" }
    ProgressVerifying { en: "verifying", es: "verificando" }
    ProgressCanaries { en: "making canaries", es: "creando canarios" }
    ProgressConverting { en: "converting to {0}", es: "convirtiendo a {0}" }
    ProgressMatching { en: "matching to the master", es: "cotejando con el extracto maestro" }

    // ---- Notices: what an earlier, killed run left. ----
    UnsignedEntries {
        en: "{0} unsigned entry|{0} unsigned entries",
        es: "{0} entrada sin firmar|{0} entradas sin firmar",
    }
    NoteRemovedAppend {
        en: "note: removed an interrupted append from the log: {0} after its last signed entry \
({1}) and {2} after its last checkpoint",
        es: "nota: se eliminó de la bitácora una escritura interrumpida: {0} después de su \
última entrada firmada ({1}) y {2} después de su último punto de control",
    }
    NoteRemovedAppendFirst {
        en: "note: removed an interrupted append from the log first: {0} after its last signed \
entry ({1}) and {2} after its last checkpoint",
        es: "nota: primero se eliminó de la bitácora una escritura interrumpida: {0} después \
de su última entrada firmada ({1}) y {2} después de su último punto de control",
    }
    NoteCompletedIssuance {
        en: "note: completed an interrupted issuance: {0} is in place with its receipt",
        es: "nota: se completó una emisión interrumpida: {0} está en su lugar con su recibo",
    }
    NoteUndidIssuance {
        en: "note: undid an interrupted issuance that was never logged (copies for {0}): its \
files were removed",
        es: "nota: se deshizo una emisión interrumpida que nunca se registró (copias para \
{0}): sus archivos se eliminaron",
    }
    WarnLostCopy {
        en: "warning: log entry {0} says a copy was made for {1}, but it never reached {2} and \
its temporary file is gone; issue it again (the same input gives the same bytes)",
        es: "aviso: la entrada {0} de la bitácora dice que se hizo una copia para {1}, pero \
nunca llegó a {2} y su archivo temporal ya no existe; emítala de nuevo (la misma entrada da los \
mismos bytes)",
    }
    NoteRemovedTemporaries {
        en: "note: removed {0} temporary file(s) of an interrupted issuance",
        es: "nota: se eliminaron {0} archivo(s) temporal(es) de una emisión interrumpida",
    }
    NoteUncommitted {
        en: "note: an interrupted append left {0} after the last signed entry ({1} complete) \
and {2} after the last checkpoint; they are not part of the log, and the next `watermark issue` \
or `watermark verify` removes them",
        es: "nota: una escritura interrumpida dejó {0} después de la última entrada firmada \
({1} completas) y {2} después del último punto de control; no forman parte de la bitácora, y el \
siguiente `watermark issue` o `watermark verify` los elimina",
    }
    NoteInterruptedIssue {
        en: "note: an issuance was interrupted; the next `watermark issue` completes or undoes it",
        es: "nota: se interrumpió una emisión; el siguiente `watermark issue` la completa o la \
deshace",
    }
    NoteInterruptedIssueJournal {
        en: "note: an issuance was interrupted after its journal was written; the next \
`watermark issue` completes the copies that were logged and removes the others",
        es: "nota: se interrumpió una emisión después de escribir su diario; el siguiente \
`watermark issue` completa las copias que se registraron y elimina las demás",
    }

    // ---- Witnesses: notices and refusals. ----
    NoteWitnessesConfirm {
        en: "note: {0} of {1} witnesses confirm that this log's checkpoint of {2} entries is the \
latest they have seen",
        es: "nota: {0} de {1} testigos confirman que el punto de control de {2} entradas de esta \
bitácora es el más reciente que han visto",
    }
    WarnIssuedNotWitnessed {
        en: "warning: the copies are issued and logged (their entries are signed), but {0}; run \
`watermark log witness --state {1}` when the witnesses can be reached",
        es: "aviso: las copias están emitidas y registradas (sus entradas están firmadas), pero \
{0}; ejecute `watermark log witness --state {1}` cuando se pueda contactar a los testigos",
    }
    WhyNotWitnessed {
        en: "their checkpoint could not be witnessed: {0}",
        es: "su punto de control no pudo ser atestiguado: {0}",
    }
    WhyOnly { en: "only {0}", es: "solo {0}" }
    NoteCosignedReceipts {
        en: "note: {0} witnesses cosigned the checkpoint of {1} entries; the receipts of the {2} \
carry their cosignatures",
        es: "nota: {0} testigos cofirmaron el punto de control de {1} entradas; los recibos de \
las {2} llevan sus cofirmas",
    }
    WarnVerifyNotWitnessed {
        en: "warning: the verification is logged, but its checkpoint could not be witnessed: {0}",
        es: "aviso: la verificación está registrada, pero su punto de control no pudo ser \
atestiguado: {0}",
    }
    WarnVerifyBut {
        en: "warning: the verification is logged, but {0}",
        es: "aviso: la verificación está registrada, pero {0}",
    }
    WarnVerifyOnly {
        en: "warning: the verification is logged, but only {0}; `watermark log witness` catches up",
        es: "aviso: la verificación está registrada, pero solo {0}; `watermark log witness` lo \
pone al día",
    }
    Shortfall {
        en: "{0} of the {1} required witnesses cosigned the checkpoint of {2} entries ({3})",
        es: "{0} de los {1} testigos requeridos cofirmaron el punto de control de {2} entradas \
({3})",
    }
    BehindWitness {
        en: "the state is behind its witness {0}: the witness has cosigned a checkpoint of {1} \
entries of log {2}, but the log in {3} holds only {4}. The state was restored from an older \
backup, or its log was cut back: restore the latest log (the state's log/ directory) before \
issuing; issuing from this state could give a code slot twice",
        es: "el estado está atrasado respecto de su testigo {0}: el testigo cofirmó un punto de \
control de {1} entradas de la bitácora {2}, pero la bitácora en {3} solo tiene {4}. El estado \
se restauró de un respaldo anterior, o su bitácora se recortó: restaure la bitácora más reciente \
(el directorio log/ del estado) antes de emitir; emitir desde este estado podría asignar dos \
veces una posición del código",
    }
    ForkedWitness {
        en: "the log in {0} is forked from what its witness {1} saw: the witness cosigned \
another root for the first {2} entries of log {3} (the log holds {4}). A copy of the state \
issued on its own, or the log was rewritten: restore the log the witnesses saw before issuing",
        es: "la bitácora en {0} se bifurcó de lo que vio su testigo {1}: el testigo cofirmó \
otra raíz para las primeras {2} entradas de la bitácora {3} (la bitácora tiene {4}). Una copia \
del estado emitió por su cuenta, o la bitácora se reescribió: restaure la bitácora que vieron \
los testigos antes de emitir",
    }
    BehindOwnRecord {
        en: "the state is behind its own record of witnessing: {0} holds a checkpoint of {1} \
entries of log {2} cosigned by its witnesses, but the log holds only {3}. The log was cut back, \
or restored from an older backup: restore the latest log (the state's log/ directory) before \
issuing; issuing from this state could give a code slot twice",
        es: "el estado está atrasado respecto de su propio registro de atestiguación: {0} \
tiene un punto de control de {1} entradas de la bitácora {2} cofirmado por sus testigos, pero \
la bitácora solo tiene {3}. La bitácora se recortó, o se restauró de un respaldo anterior: \
restaure la bitácora más reciente (el directorio log/ del estado) antes de emitir; emitir desde \
este estado podría asignar dos veces una posición del código",
    }
    ForkedOwnRecord {
        en: "the log in {0} is forked from its own record of witnessing: {1} holds another root \
for its first {2} entries. The log was rewritten: restore the log the witnesses saw before \
issuing",
        es: "la bitácora en {0} se bifurcó de su propio registro de atestiguación: {1} tiene \
otra raíz para sus primeras {2} entradas. La bitácora se reescribió: restaure la bitácora que \
vieron los testigos antes de emitir",
    }
    WitnessedNoList {
        en: "this state's log has been witnessed ({0} exists), but no witness list was found \
({1} or --witnesses FILE / WATERMARK_WITNESSES): without it, nothing would check that the state \
is not an older backup. Give the list, or remove log/{2} to stop witnessing",
        es: "la bitácora de este estado ha sido atestiguada (existe {0}), pero no se encontró \
una lista de testigos ({1} o --witnesses ARCHIVO / WATERMARK_WITNESSES): sin ella, nada \
comprobaría que el estado no es un respaldo anterior. Indique la lista, o elimine log/{2} para \
dejar de atestiguar",
    }
    NothingIssuedOnly {
        en: "nothing was issued: only {0}, so the state cannot be shown to be the latest (an \
older backup would reuse code slots). Retry when the witnesses can be reached, or lower \
`required` in {1}",
        es: "no se emitió nada: solo {0}, así que no se puede demostrar que el estado es el \
más reciente (un respaldo anterior reutilizaría posiciones del código). Reintente cuando se \
pueda contactar a los testigos, o reduzca `required` en {1}",
    }
    NothingVerifiedOnly {
        en: "nothing was verified: only {0}, so the state cannot be shown to be the latest (an \
older backup would reuse code slots). Retry when the witnesses can be reached, or lower \
`required` in {1}",
        es: "no se verificó nada: solo {0}, así que no se puede demostrar que el estado es el \
más reciente (un respaldo anterior reutilizaría posiciones del código). Reintente cuando se \
pueda contactar a los testigos, o reduzca `required` en {1}",
    }
    NoWitnessList {
        en: "{0} has no witness list: write one (see `watermark log witness --help`) or give \
--witnesses FILE",
        es: "{0} no tiene lista de testigos: escriba una (vea `watermark log witness --help`) o \
indique --witnesses ARCHIVO",
    }

    // ---- Cosignatures checked against witness keys. ----
    WhatWhy { en: "{0}: {1}", es: "{0}: {1}" }
    OnlyCosignedIt {
        en: "only {0} of the {1} required witnesses cosigned it",
        es: "solo {0} de los {1} testigos requeridos lo cofirmaron",
    }
    NotASignedNote {
        en: "the checkpoint is not a signed note: {0}",
        es: "el punto de control no es una nota firmada: {0}",
    }
    LatestNotCosigned {
        en: "the latest checkpoint, of {0} entries, is not cosigned: {1} is the checkpoint of {2} \
(run `watermark log witness`)",
        es: "el punto de control más reciente, de {0} entradas, no está cofirmado: {1} es el \
punto de control de {2} (ejecute `watermark log witness`)",
    }
    NeverCosigned {
        en: "the log's checkpoints were never cosigned (no {0}; run `watermark log witness`)",
        es: "los puntos de control de la bitácora nunca se cofirmaron (no existe {0}; ejecute \
`watermark log witness`)",
    }
    CosignedAhead {
        en: "{0} holds a cosigned checkpoint of {1} entries but the log only {2}: the log was cut \
back",
        es: "{0} tiene un punto de control cofirmado de {1} entradas, pero la bitácora solo {2}: \
la bitácora se recortó",
    }
    CosignedRewritten {
        en: "{0} holds a cosigned checkpoint the log no longer matches: the log was rewritten",
        es: "{0} tiene un punto de control cofirmado con el que la bitácora ya no coincide: la \
bitácora se reescribió",
    }
    LatestNotCosignedAsRequired {
        en: "the latest checkpoint is not cosigned as required",
        es: "el punto de control más reciente no está cofirmado como se requiere",
    }
    ReceiptNotCosignedAsRequired {
        en: "{0}: its checkpoint is not cosigned as required",
        es: "{0}: su punto de control no está cofirmado como se requiere",
    }
    ReportNotCosignedAsRequired {
        en: "{0} verifies, but its checkpoint is not cosigned as required",
        es: "{0} se verifica, pero su punto de control no está cofirmado como se requiere",
    }

    // ---- Errors of the workflows. ----
    ExistsUseForce {
        en: "{0} already exists; pass --force to replace it",
        es: "{0} ya existe; use --force para reemplazarlo",
    }
    ExistsWithReceipt {
        en: "{0} already exists, and {1} is its receipt: issue the {2} copies to another \
--out-dir, or move it away",
        es: "{0} ya existe, y {1} es su recibo: emita las copias {2} en otro --out-dir, o \
muévalo a otro lugar",
    }
    NoDataRows {
        en: "{0}: the extract has a header but no data rows: there is nothing to issue",
        es: "{0}: el extracto tiene encabezado pero ninguna fila de datos: no hay nada que emitir",
    }
    NotParquet {
        en: "{0}: not a Parquet file: it does not start with the bytes PAR1 (it is damaged, cut \
short, or in another format)",
        es: "{0}: no es un archivo Parquet: no empieza con los bytes PAR1 (está dañado, \
incompleto o en otro formato)",
    }
    CannotReadAs { en: "{0}: cannot be read as {1}", es: "{0}: no se puede leer como {1}" }
    SchemaChange {
        en: "{0}: {1} copies of this {2} extract cannot keep its schema: {3}; issue them as {2} \
(the default)",
        es: "{0}: las copias {1} de este extracto {2} no pueden conservar su esquema: {3}; \
emítalas como {2} (lo predeterminado)",
    }
    NoInvestigator {
        en: "no investigator is named: the log records who is answerable for each verification; \
give --investigator NAME, or set WATERMARK_INVESTIGATOR once",
        es: "no se indicó un investigador: la bitácora registra quién responde por cada \
verificación; indique --investigator NOMBRE, o defina WATERMARK_INVESTIGATOR una vez",
    }
    BadInvestigator {
        en: "investigator {0} cannot be logged: give --investigator NAME, 1 to 64 characters \
without control characters",
        es: "el investigador {0} no se puede registrar: indique --investigator NOMBRE, de 1 a 64 \
caracteres sin caracteres de control",
    }
    NoCopiesYet {
        en: "{0} has issued no copies yet: there is no one to attribute to",
        es: "{0} aún no ha emitido copias: no hay a quién atribuir",
    }
    KeyNotHeld {
        en: "copies were issued under key {0}, which {1} does not hold (it holds {2})",
        es: "las copias se emitieron con la clave {0}, que {1} no tiene (tiene {2})",
    }
    NeedsMaster {
        en: "{0}: the file lacks the identity columns the copies were marked by. To attribute \
it, give --master FILE, the extract the copies were made from: its rows are matched to the \
file's on the columns they share",
        es: "{0}: al archivo le faltan las columnas de identidad con que se marcaron las copias. \
Para atribuirlo, indique --master ARCHIVO, el extracto del que se hicieron las copias: sus filas \
se cotejan con las del archivo en las columnas que comparten",
    }
    NoPolicyReads {
        en: "{0}: none of the policies copies were issued under can read it: {1}",
        es: "{0}: ninguna de las políticas con que se emitieron las copias puede leerlo: {1}",
    }
    NoPolicyReadsNeedsMaster {
        en: "{0}: none of the policies copies were issued under can read it: {1}. To attribute a \
file without its identity columns, give --master FILE, the extract the copies were made from: \
its rows are matched to the file's on the columns they share",
        es: "{0}: ninguna de las políticas con que se emitieron las copias puede leerlo: {1}. \
Para atribuir un archivo sin sus columnas de identidad, indique --master ARCHIVO, el extracto \
del que se hicieron las copias: sus filas se cotejan con las del archivo en las columnas que \
comparten",
    }
    SigningKeyNotLogs {
        en: "the signing key {0} is not the key of the log the report names ({1})",
        es: "la clave de firma {0} no es la clave de la bitácora que nombra el informe ({1})",
    }
    CtxSigningReport { en: "signing the report", es: "al firmar el informe" }
    ReportExists {
        en: "{0} already exists; a report is evidence and is never replaced: give another file \
name",
        es: "{0} ya existe; un informe es evidencia y nunca se reemplaza: indique otro nombre de \
archivo",
    }
    ReportDirMissing {
        en: "cannot write the report {0}: {1} is not a directory",
        es: "no se puede escribir el informe {0}: {1} no es un directorio",
    }

    // ---- Files as received: what was being done, and refusals. ----
    RfOpening { en: "opening the file", es: "al abrir el archivo" }
    RfReading { en: "reading the file", es: "al leer el archivo" }
    RfReadingAs { en: "reading the file as {0}", es: "al leer el archivo como {0}" }
    RfZip { en: "reading the zip archive", es: "al leer el archivo zip" }
    RfZipMember {
        en: "reading member {0} of the zip archive",
        es: "al leer el miembro {0} del archivo zip",
    }
    RfWorkbook { en: "reading the workbook", es: "al leer el libro de cálculo" }
    RfJson { en: "reading the JSON file", es: "al leer el archivo JSON" }
    RfTable { en: "reading the table", es: "al leer la tabla" }
    RfDecompressing { en: "decompressing the {0} stream", es: "al descomprimir el flujo {0}" }
    RfNoTable { en: "it holds no table", es: "no contiene ninguna tabla" }
    RfNoReadableTable {
        en: "it holds no table that can be read: {0}",
        es: "no contiene ninguna tabla que se pueda leer: {0}",
    }
    RfSkipped { en: "{0} ({1})", es: "{0} ({1})" }
    RfStreamBomb {
        en: "it decompresses to more than {0} bytes ({1} compressed): refused as a decompression \
bomb",
        es: "se descomprime en más de {0} bytes ({1} comprimidos): rechazado como bomba de \
descompresión",
    }
    RfMemberBomb {
        en: "it decompresses to more than {0} bytes (it declares {1}): refused as a \
decompression bomb",
        es: "se descomprime en más de {0} bytes (declara {1}): rechazado como bomba de \
descompresión",
    }
    RfZipBomb {
        en: "its members declare more than {0} bytes uncompressed: refused as a decompression bomb",
        es: "sus miembros declaran más de {0} bytes sin comprimir: rechazado como bomba de \
descompresión",
    }
    RfRatioBomb {
        en: "member {0} declares {1} bytes from {2} compressed, a ratio over {3}: refused as a \
decompression bomb",
        es: "el miembro {0} declara {1} bytes a partir de {2} comprimidos, una proporción mayor \
que {3}: rechazado como bomba de descompresión",
    }
    RfTruncated {
        en: "the compressed file is cut short (truncated): its end is missing",
        es: "el archivo comprimido está incompleto (truncado): le falta el final",
    }
    RfDoublyCompressed {
        en: "it holds another compressed stream: decompress it once before verifying",
        es: "contiene otro flujo comprimido: descomprímalo una vez antes de verificar",
    }
    RfNotAZip { en: "not a readable zip archive: {0}", es: "no es un archivo zip legible: {0}" }
    RfMember { en: "member {0}: {1}", es: "miembro {0}: {1}" }
    RfPathTrick {
        en: "member {0} has a name that points outside the archive (absolute, or with ..): refused",
        es: "el miembro {0} tiene un nombre que apunta fuera del archivo (absoluto, o con ..): \
rechazado",
    }
    RfWorkbookTooBig {
        en: "it has {0} bytes, over the {1} a workbook may have",
        es: "tiene {0} bytes, más de los {1} que puede tener un libro de cálculo",
    }
    RfSheet { en: "sheet {0}: {1}", es: "hoja {0}: {1}" }
    RfVerbatim { en: "{0}", es: "{0}" }
    RfNested { en: "an archive inside is not opened", es: "no se abre un archivo dentro de otro" }
    RfNotJsonTable {
        en: "it holds neither an array of objects nor one object per line",
        es: "no contiene ni un arreglo de objetos ni un objeto por línea",
    }
    RfHeaderless {
        en: "its first row is data, not a header: it names none of the policy's columns ({0}), \
and its columns cannot be told: it has {1} columns where the extracts issued had {2}",
        es: "su primera fila son datos, no un encabezado: no nombra ninguna de las columnas de la \
política ({0}), y sus columnas no se pueden identificar: tiene {1} columnas, y los extractos \
emitidos tenían {2}",
    }
    RfHeaderlessUnrecorded {
        en: "its first row is data, not a header: it names none of the policy's columns ({0}), \
and its columns cannot be told: it has {1} columns, and no extract issued recorded its header",
        es: "su primera fila son datos, no un encabezado: no nombra ninguna de las columnas de la \
política ({0}), y sus columnas no se pueden identificar: tiene {1} columnas, y ningún extracto \
emitido registró su encabezado",
    }
    RfColumnsOutOfOrder {
        en: "it has no header row, and its columns are not in the order of the extract's header: \
column {0} holds identifiers by its values, where the extract has {1} (identity: {2})",
        es: "no tiene fila de encabezado, y sus columnas no están en el orden del encabezado del \
extracto: la columna {0} contiene identificadores según sus valores, donde el extracto tiene {1} \
(identidad: {2})",
    }
    RfByteNotUtf8 {
        en: "byte {0} is not valid UTF-8: give the file's encoding (--encoding windows-1252, \
utf-16le, ...)",
        es: "el byte {0} no es UTF-8 válido: indique la codificación del archivo (--encoding \
windows-1252, utf-16le, ...)",
    }
    RfEndsInsideUtf8 {
        en: "it ends inside a UTF-8 character: it is cut short or in another encoding",
        es: "termina a la mitad de un carácter UTF-8: está incompleto o en otra codificación",
    }
    RfByteNotIn {
        en: "byte {0} is not valid {1}: give the file's encoding",
        es: "el byte {0} no es {1} válido: indique la codificación del archivo",
    }
    RfNoKeys { en: "it holds no object with a key", es: "no contiene ningún objeto con una clave" }
    RfObject { en: "object {0}: {1}", es: "objeto {0}: {1}" }

    // ---- Errors of the state directory. ----
    CtxFileIn { en: "creating a file in {0}", es: "al crear un archivo en {0}" }
    CtxDirIn { en: "creating a directory in {0}", es: "al crear un directorio en {0}" }
    CtxRemoving { en: "removing {0}", es: "al eliminar {0}" }
    CtxProtecting { en: "protecting {0}", es: "al proteger {0}" }
    CtxLocking { en: "locking {0}", es: "al bloquear {0}" }
    CtxListing { en: "listing {0}", es: "al listar {0}" }
    CtxSyncing { en: "syncing {0}", es: "al sincronizar {0} con el disco" }
    CtxResolving { en: "resolving {0}", es: "al resolver la ruta {0}" }
    CtxWritingKey { en: "writing key file {0}", es: "al escribir el archivo de clave {0}" }
    CtxReadingKey { en: "reading key file {0}", es: "al leer el archivo de clave {0}" }
    CtxCreatingKey { en: "creating key file {0}", es: "al crear el archivo de clave {0}" }
    CtxMovingState {
        en: "moving the new state into {0}",
        es: "al mover el estado nuevo a {0}",
    }
    CtxAppending { en: "appending to {0}", es: "al añadir a {0}" }
    CtxKeepingTemp { en: "keeping a temporary copy", es: "al conservar una copia temporal" }
    CtxCreatingPolicy { en: "creating a policy file", es: "al crear un archivo de política" }
    StAlreadyState {
        en: "{0} already holds a state (it has {1}); refusing to replace its key",
        es: "{0} ya contiene un estado (tiene {1}); no se reemplaza su clave",
    }
    StNotEmpty {
        en: "{0} exists and is not empty: a new state goes in a new or empty directory",
        es: "{0} existe y no está vacío: un estado nuevo va en un directorio nuevo o vacío",
    }
    StNotADirectory {
        en: "{0} exists and is not a directory",
        es: "{0} existe y no es un directorio",
    }
    StNotAState {
        en: "{0} is not a state directory (no {1}); create one with `watermark init --state {2}`",
        es: "{0} no es un directorio de estado (no tiene {1}); cree uno con `watermark init \
--state {2}`",
    }
    StOldRecord {
        en: "it keeps the plain {0} of an earlier version, not a signed log",
        es: "guarda el {0} simple de una versión anterior, no una bitácora firmada",
    }
    StNoLogDir { en: "it has no log/ directory", es: "no tiene directorio log/" }
    StIncomplete {
        en: "{0} is not a complete state directory: {1}",
        es: "{0} no es un directorio de estado completo: {1}",
    }
    StNoLog {
        en: "{0} holds no issuance log (no log/ directory)",
        es: "{0} no contiene una bitácora de emisión (no tiene directorio log/)",
    }
    StPoliciesMissing {
        en: "{0} is missing: the log's copies were made with policies kept there, and none of \
them can be verified without; put it back from a backup",
        es: "falta {0}: las copias de la bitácora se hicieron con políticas guardadas ahí, y \
ninguna se puede verificar sin ellas; restáurelo de un respaldo",
    }
    StCanaryListMissing {
        en: "{0} is missing: log entry {1} records the canary list its copy was made with \
(BLAKE3 {2}); put it back from a backup of the state",
        es: "falta {0}: la entrada {1} de la bitácora registra la lista de canarios con que se \
hizo su copia (BLAKE3 {2}); restáurela de un respaldo del estado",
    }
    AlChanged {
        en: "{0} was changed after issuance: {1}",
        es: "{0} se modificó después de la emisión: {1}",
    }
    AlDigestNow {
        en: "{0} was changed after issuance: its digest is now {1}",
        es: "{0} se modificó después de la emisión: su resumen ahora es {1}",
    }
    AlByteDiffers {
        en: "{0} was changed after issuance: byte {1} is not what the policy with digest {2} was \
stored as",
        es: "{0} se modificó después de la emisión: el byte {1} no es el que se guardó para la \
política con resumen {2}",
    }
    AlBlake3 {
        en: "{0} was changed after issuance: its BLAKE3 is {1}, log entry {2} records {3}",
        es: "{0} se modificó después de la emisión: su BLAKE3 es {1}, y la entrada {2} de la \
bitácora registra {3}",
    }
    AlNotCanonical {
        en: "{0} is not in the form it was written in",
        es: "{0} no está en la forma en que se escribió",
    }
    RecipientTwice { en: "recipient {0} named twice", es: "el destinatario {0} se nombró dos veces" }
    RecipientsDifferInCase {
        en: "recipients {0} and {1} differ only in case: on a case-insensitive file system \
(macOS, Windows) their copies would be one file, and a leak of it could accuse the wrong one; \
give recipients ids that differ in more than case",
        es: "los destinatarios {0} y {1} solo difieren en mayúsculas y minúsculas: en un sistema \
de archivos que no las distingue (macOS, Windows) sus copias serían un solo archivo, y una \
filtración de él podría acusar al equivocado; use identificadores que difieran en algo más",
    }
    RecipientDiffersFromHolder {
        en: "recipient {0} differs only in case from {1}, who holds a copy (log entry {2}): on a \
case-insensitive file system (macOS, Windows) their copies would be one file, and a leak of it \
could accuse the wrong one; give {0} an id that differs in more than case, or issue to {1}",
        es: "el destinatario {0} solo difiere en mayúsculas y minúsculas de {1}, que tiene una \
copia (entrada {2} de la bitácora): en un sistema de archivos que no las distingue (macOS, \
Windows) sus copias serían un solo archivo, y una filtración de él podría acusar al \
equivocado; dé a {0} un identificador que difiera en algo más, o emita a {1}",
    }

    // ---- Errors of the command line. ----
    KyPrivateOnLine {
        en: "{0} is a private key ({1}+…), not a verifier key: give the verifier key \
(NAME+ID+BASE64, as witness.pub or log/verifier.key holds it). Treat that private key as \
exposed: it is on this command line, and may be in the shell's history and the process list",
        es: "{0} es una clave privada ({1}+…), no una clave verificadora: indique la clave \
verificadora (NOMBRE+ID+BASE64, como la guardan witness.pub o log/verifier.key). Considere \
expuesta esa clave privada: está en esta línea de comandos, y puede estar en el historial del \
shell y en la lista de procesos",
    }
    KyNotAKey {
        en: "{0} is not a verifier key (NAME+ID+BASE64): {1}; nor is it a readable file",
        es: "{0} no es una clave verificadora (NOMBRE+ID+BASE64): {1}; ni es un archivo legible",
    }
    KyNeither {
        en: "{0} {1} is neither a verifier key (NAME+ID+BASE64) nor a readable file",
        es: "{0} {1} no es una clave verificadora (NOMBRE+ID+BASE64) ni un archivo legible",
    }
    KyFilePrivate {
        en: "{0} {1} holds a private key ({2}+…), not a verifier key: give the file that holds \
its verifier key (witness.pub, log/verifier.key)",
        es: "{0} {1} contiene una clave privada ({2}+…), no una clave verificadora: indique el \
archivo que contiene su clave verificadora (witness.pub, log/verifier.key)",
    }
    KyFileNotOne {
        en: "{0} {1} does not hold one verifier key (NAME+ID+BASE64): {2}",
        es: "{0} {1} no contiene una sola clave verificadora (NOMBRE+ID+BASE64): {2}",
    }
    KyOwnKey {
        en: "--witness-key {0} is the log's own key: a log cannot witness itself",
        es: "--witness-key {0} es la clave de la propia bitácora: una bitácora no puede \
atestiguarse a sí misma",
    }
    KyRequire {
        en: "--require {0} must be between 1 and the {1} distinct witness key(s) given",
        es: "--require {0} debe estar entre 1 y las {1} claves de testigo distintas indicadas",
    }
    UnknownKind {
        en: "unknown --kind {0}: use electoral-roll, pensioners, name-list, job-seekers or \
staff-roster",
        es: "--kind {0} desconocido: use electoral-roll, pensioners, name-list, job-seekers o \
staff-roster",
    }
    CtxInitialising { en: "initialising {0}", es: "al inicializar {0}" }
    CtxTempDir { en: "creating a temporary directory", es: "al crear un directorio temporal" }
    RecipientsAtLeastOne {
        en: "--recipients must be at least 1",
        es: "--recipients debe ser al menos 1",
    }
    CtxRuntime {
        en: "starting the HTTP server's runtime",
        es: "al iniciar el entorno de ejecución del servidor HTTP",
    }
    CtxListening { en: "listening on {0}", es: "al escuchar en {0}" }
    CtxServing { en: "serving", es: "al atender solicitudes" }
    CtxEntryIndex { en: "entry index", es: "índice de entrada" }
    NoSuchEntry {
        en: "the log has no entry {0}: it holds {1}",
        es: "la bitácora no tiene la entrada {0}: tiene {1}",
    }
    EntrySpec {
        en: "ENTRY must be an entry index or a 64-digit BLAKE3 digest, not {0}",
        es: "ENTRY debe ser un índice de entrada o un resumen BLAKE3 de 64 dígitos, no {0}",
    }
    NoEntryNames {
        en: "no entry of the log names a file with BLAKE3 {0}",
        es: "ninguna entrada de la bitácora nombra un archivo con BLAKE3 {0}",
    }
    CtxReadingNotUtf8 {
        en: "reading {0}: not UTF-8 text",
        es: "al leer {0}: no es texto UTF-8",
    }
    TooLargeForReceipt {
        en: "{0}: larger than a receipt or a checkpoint can be ({1} bytes)",
        es: "{0}: es más grande de lo que puede ser un recibo o un punto de control ({1} bytes)",
    }
    JsonNoCheckpoint {
        en: "{0}: JSON without a \"checkpoint\"",
        es: "{0}: JSON sin \"checkpoint\"",
    }
    CtxRestoring { en: "restoring from {0}", es: "al restaurar desde {0}" }
    GivePubkey {
        en: "give the log's public key with --pubkey KEY",
        es: "indique la clave pública de la bitácora con --pubkey CLAVE",
    }
    GivePubkeyOrState {
        en: "give the log's public key with --pubkey KEY, or --state DIR",
        es: "indique la clave pública de la bitácora con --pubkey CLAVE, o --state DIR",
    }
    NotAnIssuedCopy {
        en: "{0}: entry {1} is not an issued copy, so --copy has nothing to match",
        es: "{0}: la entrada {1} no es una copia emitida, así que --copy no tiene con qué \
coincidir",
    }
    NotTheCopy {
        en: "{0} is not the copy entry {1} names: its BLAKE3 is {2}, the entry's {3}",
        es: "{0} no es la copia que nombra la entrada {1}: su BLAKE3 es {2}, el de la entrada \
{3}",
    }
    NotADirectoryPath { en: "{0}: not a directory", es: "{0}: no es un directorio" }
    CanaryRateRange {
        en: "--canary-rate must be above 0 and at most 0.2 (got {0}); use --no-canaries for none",
        es: "--canary-rate debe ser mayor que 0 y como máximo 0.2 (se indicó {0}); use \
--no-canaries para no tener canarios",
    }

    // ---- Damage to the issuance log's files. ----
    LgOtherKey {
        en: "holds key {0}, not the key given ({1})",
        es: "contiene la clave {0}, no la clave indicada ({1})",
    }
    LgNoFirstCheckpoint {
        en: "is not a complete signed checkpoint (the log starts with the checkpoint of the empty \
tree)",
        es: "no es un punto de control firmado completo (la bitácora empieza con el punto de \
control del árbol vacío)",
    }
    LgNotUtf8 { en: "not valid UTF-8", es: "no es UTF-8 válido" }
    LgDoesNotVerify { en: "does not verify: {0}", es: "no se verifica: {0}" }
    LgOtherLog { en: "is for log {0}, not {1}", es: "es de la bitácora {0}, no de {1}" }
    LgWrongSize {
        en: "signs a tree of {0} entries where the checkpoint of {1} was expected: checkpoints \
were removed, repeated or reordered",
        es: "firma un árbol de {0} entradas donde se esperaba el punto de control de {1}: se \
eliminaron, repitieron o reordenaron puntos de control",
    }
    LgEntryChanged {
        en: "was changed after it was logged: checkpoint {0} ({1} line {2}) signs a root its \
first {0} entries no longer give, while checkpoint {3} still matches the entries before it",
        es: "se modificó después de registrarse: el punto de control {0} ({1} línea {2}) firma \
una raíz que sus primeras {0} entradas ya no dan, mientras que el punto de control {3} aún \
coincide con las entradas anteriores",
    }
    LgOtherAppend {
        en: "{0} names another append ({1} entries after entry {2})",
        es: "{0} nombra otra escritura ({1} entradas después de la entrada {2})",
    }
    LgNoAppend {
        en: "no append was under way (there is no {0})",
        es: "no había ninguna escritura en curso (no existe {0})",
    }
    LgUnsigned {
        en: "entry {0} is signed by no checkpoint, and {1}: the log holds {2} ({3} bytes) after \
its last checkpoint, which only a checkpoint removed or cut short, or a state restored from an \
inconsistent backup, leaves (or someone without the log's key wrote them). Signed entries are \
never removed, and unsigned ones never used: put the checkpoint back from any receipt or \
evidence report made since, or from the checkpoint the log's witnesses cosigned (`watermark log \
restore --state DIR --from FILE`), or restore log/checkpoints from a backup",
        es: "ningún punto de control firma la entrada {0}, y {1}: la bitácora tiene {2} ({3} \
bytes) después de su último punto de control, lo que solo deja un punto de control eliminado o \
recortado, o un estado restaurado de un respaldo inconsistente (o alguien sin la clave de la \
bitácora las escribió). Las entradas firmadas nunca se eliminan, y las no firmadas nunca se \
usan: restaure el punto de control de cualquier recibo o informe de evidencia hecho desde \
entonces, o del punto de control que cofirmaron los testigos de la bitácora (`watermark log \
restore --state DIR --from FILE`), o restaure log/checkpoints de un respaldo",
    }
    LgEntriesMissing {
        en: "is missing or cut short: checkpoint {0} ({1} line {2}) signs {0} entries, but the \
file holds only {3} complete ones",
        es: "falta o está recortado: el punto de control {0} ({1} línea {2}) firma {0} entradas, \
pero el archivo solo tiene {3} completas",
    }
    LgBadEntry { en: "{0}", es: "entrada mal formada: {0}" }
    LgTornNoEntry {
        en: "follows the last checkpoint but is not a complete signed checkpoint, and no entry \
follows the ones signed",
        es: "sigue al último punto de control pero no es un punto de control firmado completo, y \
ninguna entrada sigue a las firmadas",
    }
    LgTornChanged {
        en: "is neither a complete signed checkpoint nor the start of the one that would sign the \
next entry: the file was changed",
        es: "no es ni un punto de control firmado completo ni el inicio del que firmaría la \
siguiente entrada: el archivo se modificó",
    }
    LgSignatureNotBase64 {
        en: "a checkpoint's signature line is not base64: the file was changed",
        es: "la línea de firma de un punto de control no es base64: el archivo se modificó",
    }
    LgSignatureEnd {
        en: "a checkpoint's signature line does not end where it should: the file was changed",
        es: "la línea de firma de un punto de control no termina donde debe: el archivo se \
modificó",
    }
    LgNoNewline { en: "does not end with a newline", es: "no termina con un salto de línea" }
    LgMoreThanOneLine { en: "holds more than one line", es: "tiene más de una línea" }
    LgNotCanonical {
        en: "is not in canonical form (hex digits must be lower case)",
        es: "no está en forma canónica (los dígitos hexadecimales deben ir en minúsculas)",
    }
    LgNotTheSigningKey {
        en: "is not the signing key of {0} (it signs as {1})",
        es: "no es la clave de firma de {0} (firma como {1})",
    }
    LgBindingBroken {
        en: "does not tie the log's key ({0}) to this state's master key (key {1}): the log's \
keys were replaced, or this file was changed",
        es: "no vincula la clave de la bitácora ({0}) con la clave maestra de este estado (clave \
{1}): las claves de la bitácora se reemplazaron, o este archivo se modificó",
    }
    LogDoesNotVerify {
        en: "the issuance log in {0} does not verify",
        es: "la bitácora de emisión en {0} no se verifica",
    }
    LgBindingMissing {
        en: "is missing: nothing shows that the log's key ({0}) was made with this state's master \
key (key {1}); the log may have been replaced by one signed with another key",
        es: "falta: nada muestra que la clave de la bitácora ({0}) se hizo con la clave maestra \
de este estado (clave {1}); la bitácora pudo reemplazarse por otra firmada con otra clave",
    }
    ConvertedFromCsv {
        en: "The copies are {0}, converted from the CSV input: one nullable string (Utf8) column \
per CSV column, each value as the CSV writes it (an empty field is an empty string, not a null).",
        es: "Las copias están en {0}, convertidas de la entrada CSV: una columna de texto (Utf8) \
que admite nulos por cada columna del CSV, cada valor como lo escribe el CSV (un campo vacío es \
un texto vacío, no un nulo).",
    }
    ConvertedToCsv {
        en: "The copies are CSV, from the {0} input: each cell in its text form (decimals at their \
scale, dates as YYYY-MM-DD, a null as an empty cell), every field quoted.",
        es: "Las copias están en CSV, de la entrada {0}: cada celda en su forma de texto (decimales \
con su escala, fechas como AAAA-MM-DD, un nulo como celda vacía), todos los campos entre \
comillas.",
    }
    ConvertedKeepingSchema {
        en: "The copies are {0}, converted from the {1} input with its schema unchanged (names, \
types, nullability, metadata).",
        es: "Las copias están en {0}, convertidas de la entrada {1} con su esquema sin cambios \
(nombres, tipos, nulabilidad, metadatos).",
    }

    // ---- A policy that cannot be used. ----
    PoVersion {
        en: "version {0} is not supported (expected 1)",
        es: "la versión {0} no es compatible (se esperaba 1)",
    }
    PoNoIdentity { en: "`identity` names no column", es: "`identity` no nombra ninguna columna" }
    PoThreshold {
        en: "`threshold` must be between 0 and 1",
        es: "`threshold` debe estar entre 0 y 1",
    }
    PoCutoff { en: "`code.cutoff` must be in (0, 0.5)", es: "`code.cutoff` debe estar en (0, 0.5)" }
    PoActiveFraction {
        en: "`code.active_fraction` must be in (0, 1]",
        es: "`code.active_fraction` debe estar en (0, 1]",
    }
    PoFlipRate {
        en: "`code.flip_rate` must be in (0, 0.5)",
        es: "`code.flip_rate` debe estar en (0, 0.5)",
    }
    PoIdentityCarrier {
        en: "column {0} is an identity column and cannot carry marks",
        es: "la columna {0} es de identidad y no puede llevar marcas",
    }
    PoTwoCarriers { en: "column {0} has two carriers", es: "la columna {0} tiene dos portadoras" }
    PoUnknownDictionary {
        en: "unknown dictionary {0} for column {1} (built in: mx-address, mx-jobs, mx-degrees)",
        es: "diccionario {0} desconocido para la columna {1} (incluidos: mx-address, mx-jobs, \
mx-degrees)",
    }
    PoDecimalsNotNumeric {
        en: "`decimals` is for numeric carriers, not column {0}",
        es: "`decimals` es para portadoras numéricas, no para la columna {0}",
    }
    PoDecimalsRange {
        en: "numeric carrier {0} needs `decimals` between 0 and 6",
        es: "la portadora numérica {0} necesita `decimals` entre 0 y 6",
    }
    PoPhoneOptions {
        en: "phone carrier {0} takes neither `dictionary` nor `decimals`",
        es: "la portadora telefónica {0} no admite `dictionary` ni `decimals`",
    }
    PoCanaryRate {
        en: "`canaries.rate` must be in (0, 0.2]",
        es: "`canaries.rate` debe estar en (0, 0.2]",
    }
    PoCanaryNames {
        en: "`[canaries]` needs `given_names` or `full_name`: a canary is a new person",
        es: "`[canaries]` necesita `given_names` o `full_name`: un canario es una persona nueva",
    }
    PoTwoCanaryRoles {
        en: "column {0} has two canary roles (one is `{1}`)",
        es: "la columna {0} tiene dos papeles de canario (uno es `{1}`)",
    }
    PoCarrierAndCanary {
        en: "column {0} carries marks and cannot also be the canaries' `{1}`",
        es: "la columna {0} lleva marcas y no puede ser también `{1}` de los canarios",
    }
    PoDomainsNeedEmail {
        en: "`canaries.contact_domains` needs the `email` role",
        es: "`canaries.contact_domains` necesita el papel `email`",
    }
    PoNotADomain {
        en: "`canaries.contact_domains`: {0} is not a mail domain",
        es: "`canaries.contact_domains`: {0} no es un dominio de correo",
    }
    PoPrefixesNeedPhone {
        en: "`canaries.phone_prefixes` needs the `phone` role",
        es: "`canaries.phone_prefixes` necesita el papel `phone`",
    }
    PoNotAPrefix {
        en: "`canaries.phone_prefixes`: {0} is not 2 to 8 digits",
        es: "`canaries.phone_prefixes`: {0} no tiene de 2 a 8 dígitos",
    }
    PoNothingMarked {
        en: "no `[[carrier]]` column and no `[canaries]`: nothing could be marked",
        es: "ninguna columna `[[carrier]]` y ningún `[canaries]`: no se podría marcar nada",
    }

    // ---- Parquet and Arrow IPC. ----
    CfReadingParquet { en: "reading Parquet", es: "al leer Parquet" }
    CfReadingArrow { en: "reading Arrow IPC", es: "al leer Arrow IPC" }
    CfReadingTable { en: "reading the table", es: "al leer la tabla" }
    TbNotATable {
        en: "expected a table with the Arrow PyCapsule interface (__arrow_c_stream__: a pyarrow.Table or RecordBatchReader, a pandas or Polars DataFrame, a DuckDB result), got {0}",
        es: "se esperaba una tabla con la interfaz Arrow PyCapsule (__arrow_c_stream__: una pyarrow.Table o RecordBatchReader, un DataFrame de pandas o Polars, un resultado de DuckDB) y se recibió {0}",
    }
    TbStreamOnce {
        en: "a stream of record batches can be read only once: give a table, or a function that opens the stream again",
        es: "un flujo de lotes de registros solo se puede leer una vez: dé una tabla, o una función que vuelva a abrir el flujo",
    }
    TbOpenFailed {
        en: "the function that opens the table failed: {0}",
        es: "falló la función que abre la tabla: {0}",
    }
    TbOpenSchema {
        en: "the function that opens the table gave other columns than the first time",
        es: "la función que abre la tabla dio otras columnas que la primera vez",
    }
    TbSinkFailed {
        en: "the function that takes the copies refused {0}'s: {1}",
        es: "la función que recibe las copias rechazó la de {0}: {1}",
    }
    TbNotPrepared {
        en: "not a prepared issuance (made by watermark.prepare_issue): {0}",
        es: "no es una emisión preparada (hecha con watermark.prepare_issue): {0}",
    }
    TbCanaryRate {
        en: "canary_rate must be above 0 and at most 0.2 (got {0}); use canaries=False for none",
        es: "canary_rate debe ser mayor que 0 y como máximo 0.2 (se indicó {0}); use canaries=False para no tener canarios",
    }
    TbStateClosed {
        en: "the state {0} is closed: open it again with watermark.open_state",
        es: "el estado {0} está cerrado: ábralo de nuevo con watermark.open_state",
    }
    TbNoCopyFor {
        en: "no copy given for {0}",
        es: "no se dio copia para {0}",
    }
    TbNotTheirCopy {
        en: "{0}: the copy given for {1} carries the marks of {2}: logged as {1}'s, a leak of it would accuse {2}; nothing was logged",
        es: "{0}: la copia dada para {1} lleva las marcas de {2}: registrada como de {1}, una fuga de ella acusaría a {2}; no se registró nada",
    }
    TbSlotsChanged {
        en: "{0}: the log gave a recipient of this issuance another slot since it was prepared (another issuance came first): prepare it again",
        es: "{0}: la bitácora dio a un destinatario de esta emisión otro lugar desde que se preparó (otra emisión llegó antes): prepárela de nuevo",
    }
    TbCopiesShort {
        en: "{0}: logging the issuance needs a copy for every recipient, each with the table's {1} rows and at most its {2} canaries",
        es: "{0}: para registrar la emisión se necesita una copia por destinatario, cada una con las {1} filas de la tabla y a lo más sus {2} canarios",
    }
    TbChanged {
        en: "{0}: the table gave other rows when read again: nothing was logged",
        es: "{0}: la tabla dio otras filas al leerla de nuevo: no se registró nada",
    }
    CfBatchSchema {
        en: "the record batch that starts at row {0} has other columns than the table's schema",
        es: "el lote de registros que empieza en la fila {0} tiene otras columnas que el esquema de la tabla",
    }
    CfWritingParquet { en: "writing Parquet", es: "al escribir Parquet" }
    CfWritingArrow { en: "writing Arrow IPC", es: "al escribir Arrow IPC" }
    CfBuildingCanaries { en: "building canary rows", es: "al construir las filas canario" }
    CfBuildingCopy { en: "building a copy", es: "al construir una copia" }
    CfPlacingCanaries { en: "placing canary rows", es: "al colocar las filas canario" }
    CfWritingCopy { en: "writing the copy for {0}", es: "al escribir la copia para {0}" }
    CfReaderFailed {
        en: "the file is damaged: the reader failed on it ({0})",
        es: "el archivo está dañado: el lector falló con él ({0})",
    }
    CfDamaged { en: "the file is damaged: {0}", es: "el archivo está dañado: {0}" }

    // ---- The verify service's refusals. ----
    SvTooLarge {
        en: "the request body is larger than the limit of {0} bytes",
        es: "el cuerpo de la solicitud es mayor que el límite de {0} bytes",
    }
    SvStalled {
        en: "the upload stalled: no part of the body came for {0} seconds",
        es: "la carga se detuvo: no llegó ninguna parte del cuerpo durante {0} segundos",
    }
    SvTimeout {
        en: "the request took longer than {0} seconds (upload and verification)",
        es: "la solicitud tardó más de {0} segundos (carga y verificación)",
    }
    SvWrongType {
        en: "the body was sent as {0} ({1}), but its first bytes are {2}: send it as {3} or \
application/octet-stream",
        es: "el cuerpo se envió como {0} ({1}), pero sus primeros bytes son {2}: envíelo como \
{3} o application/octet-stream",
    }
    SvFirstBytesCsv {
        en: "no Parquet or Arrow IPC file's (so CSV)",
        es: "los de ningún archivo Parquet o Arrow IPC (así que CSV)",
    }
    SvFirstBytesParquet { en: "a Parquet file's", es: "los de un archivo Parquet" }
    SvFirstBytesArrow { en: "an Arrow IPC file's", es: "los de un archivo Arrow IPC" }
    SvFirstBytesArrowStream { en: "an Arrow IPC stream's", es: "los de un flujo Arrow IPC" }
    SvLockedOut {
        en: "too many wrong tokens from this address: retry in {0} s",
        es: "demasiados tokens incorrectos desde esta dirección: reintente en {0} s",
    }
    SvNoToken {
        en: "an Authorization: Bearer TOKEN header is required",
        es: "se requiere un encabezado Authorization: Bearer TOKEN",
    }
    SvBadToken { en: "the bearer token is not valid", es: "el token no es válido" }
    SvRateLimited {
        en: "more than {0} requests a minute with this token: retry in {1} s",
        es: "más de {0} solicitudes por minuto con este token: reintente en {1} s",
    }
    SvMultipartType {
        en: "malformed multipart/form-data content type: {0}",
        es: "tipo de contenido multipart/form-data mal formado: {0}",
    }
    SvUnsupportedType {
        en: "send the leaked file (CSV, a workbook, JSON, Parquet, Arrow IPC, an archive or a \
compressed file) as the body with Content-Type: text/csv, application/vnd.apache.parquet, \
application/vnd.apache.arrow.file, application/vnd.apache.arrow.stream, the type of a workbook, \
JSON, zip, gzip or zstd file, or application/octet-stream, or as the field `file` of a \
multipart/form-data upload (got {0})",
        es: "envíe el archivo filtrado (CSV, un libro de cálculo, JSON, Parquet, Arrow IPC, un \
archivo comprimido o empaquetado) como el cuerpo con Content-Type: text/csv, \
application/vnd.apache.parquet, application/vnd.apache.arrow.file, \
application/vnd.apache.arrow.stream, el tipo de un libro de cálculo, JSON, zip, gzip o zstd, o \
application/octet-stream, o como el campo `file` de una carga multipart/form-data (se recibió \
{0})",
    }
    SvNoContentType { en: "no content type", es: "ningún tipo de contenido" }
    SvOpeningSpool { en: "opening the spool file", es: "al abrir el archivo de carga" }
    SvReadingSpool { en: "reading the spool file", es: "al leer el archivo de carga" }
    SvWritingSpool { en: "writing the spool file", es: "al escribir el archivo de carga" }
    SvMultipartBody {
        en: "malformed multipart/form-data body: {0}",
        es: "cuerpo multipart/form-data mal formado: {0}",
    }
    SvTwoFiles {
        en: "the multipart/form-data upload has more than one field named `file`: send one file \
per verification",
        es: "la carga multipart/form-data tiene más de un campo llamado `file`: envíe un archivo \
por verificación",
    }
    SvNoFile {
        en: "the multipart/form-data upload has no field named `file`",
        es: "la carga multipart/form-data no tiene ningún campo llamado `file`",
    }
    SvFailed {
        en: "the verification failed on the server; its log has the reason under this request id",
        es: "la verificación falló en el servidor; su registro tiene el motivo con este \
identificador de solicitud",
    }
    SvStopped {
        en: "the verification stopped on the server; its log has the reason under this request id",
        es: "la verificación se detuvo en el servidor; su registro tiene el motivo con este \
identificador de solicitud",
    }
    SvSerialising { en: "serialising the report", es: "al serializar el informe" }
    SvFormat {
        en: "format must be json or html, not {0}",
        es: "format debe ser json o html, no {0}",
    }
    SvNotSigned {
        en: "the report could not be signed; the server's log has the reason under this request id",
        es: "el informe no se pudo firmar; el registro del servidor tiene el motivo con este \
identificador de solicitud",
    }

    // ---- Errors of the core, formats, receipts, witness, issuing and the issuance log. ----
    // The scheme's core: variant groups, builders, tallies, canary lists, keys.: variant groups, builders, tallies, canary lists, keys. ----
    CoTooManyGroups { en: "too many variant groups", es: "demasiados grupos de variantes" }
    CoEmptySpellings {
        en: "variant group {0}/{1} has an empty list of spellings",
        es: "el grupo de variantes {0}/{1} tiene una lista de grafías vacía",
    }
    CoSpellingOneWord {
        en: "variant spelling {0} must be one word",
        es: "la grafía de variante {0} debe ser una sola palabra",
    }
    CoSpellingNul {
        en: "variant spelling {0} has a NUL character",
        es: "la grafía de variante {0} contiene un carácter NUL",
    }
    CoSpellingLong {
        en: "variant spelling {0} is longer than 16 letters",
        es: "la grafía de variante {0} tiene más de 16 letras",
    }
    CoSpellingTwoGroups {
        en: "spelling {0} is in two variant groups or both variants of one",
        es: "la grafía {0} está en dos grupos de variantes o en ambas variantes de uno",
    }
    CoNoKeyGiven { en: "no master key given", es: "no se indicó la clave maestra" }
    CoNoPolicyGiven { en: "no policy given", es: "no se indicó la política" }
    CoNoRecipient { en: "no recipient given", es: "no se indicó ningún destinatario" }
    CoThreshold {
        en: "the threshold must be between 0 and 1",
        es: "el umbral debe estar entre 0 y 1",
    }
    CoSharedSlot {
        en: "two recipients share code slot {0}",
        es: "dos destinatarios comparten la posición de código {0}",
    }
    CoCanaryListOther {
        en: "a canary list was made under another key or policy",
        es: "una lista de canarios se hizo con otra clave o con otra política",
    }
    CoTheCanaryListOther {
        en: "the canary list was made under another key or policy",
        es: "la lista de canarios se hizo con otra clave o con otra política",
    }
    CoTalliesDiffer {
        en: "the tallies were made by different detectors (another key, policy, recipient list or \
canary list): they cannot be merged",
        es: "los conteos se hicieron con detectores distintos (otra clave, política, lista de \
destinatarios o lista de canarios): no pueden combinarse",
    }
    CoTalliesCarriers {
        en: "the tallies read headers with different carrier columns: they are not parts of one \
leak",
        es: "los conteos leyeron encabezados con columnas portadoras distintas: no son partes de \
una misma filtración",
    }
    CoRowInBoth {
        en: "row {0} was read into both tallies: each row must be read once",
        es: "la fila {0} se leyó en ambos conteos: cada fila debe leerse una sola vez",
    }
    CoBadTally { en: "not a valid tally: {0}", es: "no es un conteo válido: {0}" }
    CoTallyVersion { en: "an unknown version", es: "una versión desconocida" }
    CoTallyDetectorId {
        en: "a damaged detector id",
        es: "un identificador de detector dañado",
    }
    CoTallyRecipients { en: "too many recipients", es: "demasiados destinatarios" }
    CoTallySums { en: "sums of the wrong length", es: "sumas de longitud incorrecta" }
    CoTallyAnchor { en: "a damaged anchor", es: "un ancla dañada" }
    CoTallyEmptyAnchor { en: "an empty anchor", es: "un ancla vacía" }
    CoTallyAnchorTwice { en: "an anchor listed twice", es: "un ancla listada dos veces" }
    CoTallyRangeOrder {
        en: "a row range out of order",
        es: "un intervalo de filas fuera de orden",
    }
    CoTallyRowTwice { en: "a row listed twice", es: "una fila listada dos veces" }
    CoTallyCountKey {
        en: "a count key out of range",
        es: "una clave de conteo fuera de intervalo",
    }
    CoTallyOther {
        en: "the tally was made by another detector (another key, policy, recipient list or \
canary list)",
        es: "el conteo se hizo con otro detector (otra clave, política, lista de destinatarios o \
lista de canarios)",
    }
    CoTallyMisfit {
        en: "the tally does not fit this detector's policy",
        es: "el conteo no corresponde a la política de este detector",
    }
    CoNotCanaryList {
        en: "not a canary list (line {0}, column {1})",
        es: "no es una lista de canarios (línea {0}, columna {1})",
    }
    CoCanaryListVersion {
        en: "canary list version {0} is not supported (expected {1})",
        es: "la versión {0} de la lista de canarios no es compatible (se esperaba la {1})",
    }
    CoCanaryListDamaged { en: "the canary list is damaged", es: "la lista de canarios está dañada" }
    CoNoCanariesSection {
        en: "the policy has no [canaries] section",
        es: "la política no tiene sección [canaries]",
    }
    CoExtractChanged {
        en: "the extract changed while canaries were being made",
        es: "el extracto cambió mientras se creaban los canarios",
    }
    CoRandomFailed {
        en: "the operating system's random source failed",
        es: "falló la fuente de aleatoriedad del sistema operativo",
    }
    CoNotKeyFile {
        en: "not a watermark master key file",
        es: "no es un archivo de clave maestra de watermark",
    }
    CoNoSecret {
        en: "master key file has no valid 32-byte secret",
        es: "el archivo de clave maestra no tiene un secreto válido de 32 bytes",
    }
    CoKeyIdMismatch {
        en: "master key file is damaged: its id does not match its secret",
        es: "el archivo de clave maestra está dañado: su identificador no corresponde a su secreto",
    }
    CoNoIdentifierColumn {
        en: "no identifier column found (CURP, clave de elector or NSS); name the identity \
columns explicitly",
        es: "no se encontró una columna de identificador (CURP, clave de elector o NSS); indique \
explícitamente las columnas de identidad",
    }
    CoNoCarrierColumn {
        en: "no column can carry marks: no address words with equivalent spellings and no amounts \
with cents, and {0}",
        es: "ninguna columna puede llevar marcas: no hay palabras de domicilio con grafías \
equivalentes ni importes con centavos, y {0}",
    }
    CoCanariesOff { en: "canary rows are turned off", es: "las filas canario están desactivadas" }
    CoNoNameColumn {
        en: "no name column for canary rows",
        es: "no hay columna de nombre para las filas canario",
    }
    CoDuplicateColumn {
        en: "the input has more than one column named {0}",
        es: "la entrada tiene más de una columna llamada {0}",
    }
    // Formats: columns of a type that cannot be read or written, canary lists, contexts.
    FmNoTextForm {
        en: "column {0} has type {1}, which has no text form to read",
        es: "la columna {0} es de tipo {1}, que no tiene una forma de texto que leer",
    }
    FmCsvNotColumnar {
        en: "a CSV extract is read with the CSV functions, not as columnar rows",
        es: "un extracto CSV se lee con las funciones de CSV, no como filas columnares",
    }
    FmIdentityNoText {
        en: "identity column {0} has type {1}, which has no text form to anchor rows on",
        es: "la columna de identidad {0} es de tipo {1}, que no tiene una forma de texto en la que \
anclar las filas",
    }
    FmCarrierType {
        en: "carrier column {0} has type {1}: marks can only be written into text (Utf8, \
LargeUtf8, Utf8View), decimal or integer columns (store amounts as Decimal128 to mark them)",
        es: "la columna portadora {0} es de tipo {1}: solo se pueden escribir marcas en columnas \
de texto (Utf8, LargeUtf8, Utf8View), decimales o enteras (guarde los importes como Decimal128 \
para marcarlos)",
    }
    FmCarrierUnwritable {
        en: "carrier column {0} has type {1}, which marks cannot be written into",
        es: "la columna portadora {0} es de tipo {1}, en el que no se pueden escribir marcas",
    }
    FmMarkedMisfit {
        en: "a marked value of carrier column {0} does not fit its type {1}",
        es: "un valor marcado de la columna portadora {0} no cabe en su tipo {1}",
    }
    FmCanaryType {
        en: "column {0} has type {1}: canary rows cannot be written into it",
        es: "la columna {0} es de tipo {1}: no se pueden escribir filas canario en ella",
    }
    FmCanaryValue {
        en: "a canary value of column {0} is not a valid {1}",
        es: "un valor canario de la columna {0} no es un {1} válido",
    }
    FmCanaryNull {
        en: "a canary row has no value for column {0}, which cannot hold nulls",
        es: "una fila canario no tiene valor para la columna {0}, que no admite nulos",
    }
    FmCanaryColumns {
        en: "the canary list was made for an extract with other columns",
        es: "la lista de canarios se hizo para un extracto con otras columnas",
    }
    FmCanaryRows {
        en: "the canary list was made for an extract of {0} rows; this one has {1}",
        es: "la lista de canarios se hizo para un extracto de {0} filas; este tiene {1}",
    }
    FmMarkingRows { en: "marking rows", es: "al marcar las filas" }
    FmVerifyingRows { en: "verifying rows", es: "al verificar las filas" }
    FmWorkerStopped { en: "a worker thread stopped", es: "un hilo de trabajo se detuvo" }
    FmConvertingCsv { en: "converting CSV", es: "al convertir el CSV" }
    FmConverting { en: "converting", es: "al convertir" }
    FmReadingInput { en: "reading the input", es: "al leer la entrada" }
    FmReadingCsv { en: "reading CSV", es: "al leer el CSV" }
    FmOpeningExtract { en: "opening the extract", es: "al abrir el extracto" }
    // Log receipts.
    RcNotReceipt { en: "not a log receipt: {0}", es: "no es un recibo de la bitácora: {0}" }
    RcCheckpointFails {
        en: "the receipt's checkpoint does not verify: {0}",
        es: "el punto de control del recibo no se verifica: {0}",
    }
    RcOtherLog {
        en: "the receipt's checkpoint is for log {0}, not {1}",
        es: "el punto de control del recibo es de la bitácora {0}, no de {1}",
    }
    RcBadEntry {
        en: "the receipt's entry is {0}",
        es: "la entrada del recibo está mal formada: {0}",
    }
    RcNotIncluded {
        en: "the receipt's entry is not in the checkpoint it carries: {0}",
        es: "la entrada del recibo no está en el punto de control que lleva: {0}",
    }
    // The witness: its directory, its records, its list in a state.
    WtAlreadyWitness {
        en: "{0} already holds a witness (it has {1}); refusing to replace its key",
        es: "{0} ya contiene un testigo (tiene {1}); no se reemplazará su clave",
    }
    WtBadName {
        en: "the witness name cannot be used: {0}",
        es: "el nombre del testigo no se puede usar: {0}",
    }
    WtNotWitnessDir {
        en: "{0} is not a witness directory (no {1}); create one with `watermark witness init \
--dir {2} --name NAME`",
        es: "{0} no es un directorio de testigo (no tiene {1}); cree uno con `watermark witness \
init --dir {2} --name NAME`",
    }
    WtKeyLine {
        en: "{0} is not one signer key line ending in a newline",
        es: "{0} no es una sola línea de clave de firma terminada en un salto de línea",
    }
    WtLogLine { en: "{0} line {1}: {2}", es: "{0}, línea {1}: {2}" }
    WtOneKey {
        en: "this witness already witnesses log {0} under key {1}: a log has one key",
        es: "este testigo ya atestigua la bitácora {0} con la clave {1}: una bitácora tiene una \
sola clave",
    }
    WtRecordDamaged {
        en: "{0}: the record of the latest checkpoint of log {1} cosigned {2}; the witness \
refuses this log until it is restored",
        es: "{0}: el registro del último punto de control cofirmado de la bitácora {1} {2}; el \
testigo rechaza esta bitácora hasta que se restaure",
    }
    WtDoesNotVerify { en: "does not verify: {0}", es: "no se verifica: {0}" }
    WtOfAnotherLog { en: "is of another log", es: "es de otra bitácora" }
    WtCosigning { en: "cosigning: {0}", es: "al cofirmar: {0}" }
    WtRereading {
        en: "re-reading the checkpoint: {0}",
        es: "al volver a leer el punto de control: {0}",
    }
    WtPrivateKey { en: "a private key (PRIVATE+KEY+…)", es: "una clave privada (PRIVATE+KEY+…)" }
    WtMasterKeyText {
        en: "a watermark master key's text",
        es: "el texto de una clave maestra de watermark",
    }
    WtExposed {
        en: "{0}, which must never be in a witness list (it lists witnesses' verifier keys): \
remove it, and treat that key as exposed to whoever could read the list",
        es: "{0}, lo cual nunca debe estar en una lista de testigos (esta lista las claves de \
verificación de los testigos): quítela y considere esa clave expuesta ante quien haya podido leer \
la lista",
    }
    WtNotList { en: "not a witness list: {0}", es: "no es una lista de testigos: {0}" }
    WtAtLineColumn { en: "{0} (line {1}, column {2})", es: "{0} (línea {1}, columna {2})" }
    WtAndThen { en: "{0}; {1}", es: "{0}; {1}" }
    WtItHolds { en: "it holds {0}", es: "contiene {0}" }
    WtItsFieldIs { en: "its {0} is {1}", es: "su campo {0} es {1}" }
    WtNoWitness {
        en: "it lists no witness ([[witness]] with name, url and key)",
        es: "no lista ningún testigo ([[witness]] con name, url y key)",
    }
    WtWitnessAt { en: "witness {0}: {1}", es: "testigo {0}: {1}" }
    WtNotVerifierKey {
        en: "its key is not a verifier key (NAME+ID+BASE64, as witness.pub holds it): {0}",
        es: "su clave no es una clave de verificación (NAME+ID+BASE64, como la guarda \
witness.pub): {0}",
    }
    WtNameNotKeys {
        en: "its name {0} is not the name of its key, {1}",
        es: "su nombre {0} no es el nombre de su clave, {1}",
    }
    WtBadUrl {
        en: "url {0} is not an http:// or https:// URL",
        es: "la url {0} no es una URL http:// o https://",
    }
    WtRepeated {
        en: "it has the name, key or URL of witness {0} again",
        es: "repite el nombre, la clave o la URL del testigo {0}",
    }
    WtRequired {
        en: "required = {0}, but it must be between 1 and the {1} witness(es) listed",
        es: "required = {0}, pero debe estar entre 1 y el número de testigos listados ({1})",
    }
    WtLogsOwnKey {
        en: "witness {0} has the log's own key: a log cannot witness itself",
        es: "el testigo {0} tiene la clave de la propia bitácora: una bitácora no puede \
atestiguarse a sí misma",
    }
    WtCpNotVerify { en: "{0} does not verify: {1}", es: "{0} no se verifica: {1}" }
    WtCpOtherLog {
        en: "{0} is a checkpoint of log {1}, not of {2}",
        es: "{0} es un punto de control de la bitácora {1}, no de {2}",
    }
    WtCosignedNotVerify {
        en: "the cosigned checkpoint does not verify: {0}",
        es: "el punto de control cofirmado no se verifica: {0}",
    }
    WtCosignedNotOwn {
        en: "the cosigned checkpoint of {0} entries is not one of the log's own checkpoints",
        es: "el punto de control cofirmado de {0} entradas no es uno de los puntos de control \
propios de la bitácora",
    }
    // Issuing: copies, the journal of an interrupted issuance.
    IsExtension {
        en: "copies cannot have the extension {0} (only {1})",
        es: "las copias no pueden tener la extensión {0} (solo {1})",
    }
    IsInterrupted {
        en: "{0} names an interrupted issuance: recover it first",
        es: "{0} describe una emisión interrumpida: recupérela primero",
    }
    IsCopiesGiven {
        en: "{0} copies given for {1} recipients",
        es: "se dieron {0} copias para {1} destinatarios",
    }
    IsEntryMismatch {
        en: "the entry for {0} (slot {1}) does not match recipient {2} (slot {3})",
        es: "la entrada de {0} (posición {1}) no corresponde al destinatario {2} (posición {3})",
    }
    IsCannotCommit {
        en: "these copies cannot be committed: {0}",
        es: "estas copias no se pueden confirmar: {0}",
    }
    IsLogGrew {
        en: "the log grew from {0} to {1} entries while copies were being written",
        es: "la bitácora pasó de {0} a {1} entradas mientras se escribían las copias",
    }
    IsWritingFailed { en: "writing {0}: {1}", es: "al escribir {0}: {1}" }
    IsMovingCopy {
        en: "moving the copy into place at {0} (its entry is logged; move away whatever holds \
that name and run `watermark issue` again to complete it)",
        es: "al colocar la copia en {0} (su entrada ya está en la bitácora; quite lo que ocupe \
ese nombre y ejecute `watermark issue` de nuevo para completarla)",
    }
    IsJournalOutDir {
        en: "its output directory {0} is not an absolute path without `.` or `..`",
        es: "su directorio de salida {0} no es una ruta absoluta sin `.` ni `..`",
    }
    IsJournalRecipient {
        en: "its recipients include {0}, which is not a recipient id",
        es: "sus destinatarios incluyen {0}, que no es un identificador de destinatario",
    }
    IsCopyOf { en: "copy {0} of {1}", es: "la copia {0} de {1}" }
    IsCopyNotId {
        en: "{0} is for {1}, which is not a recipient id",
        es: "{0} es para {1}, que no es un identificador de destinatario",
    }
    IsCopyMovedTo {
        en: "{0} (for {1}) is to be moved to {2}, which is not {3} (or .{4})",
        es: "{0} (para {1}) se movería a {2}, que no es {3} (ni .{4})",
    }
    IsCopyReceipt {
        en: "{0} (for {1}) names {2} as its receipt, which is not {3}",
        es: "{0} (para {1}) indica {2} como su recibo, que no es {3}",
    }
    IsCopyTemp {
        en: "{0} (for {1}) names {2} as its temporary file, which is not {3}",
        es: "{0} (para {1}) indica {2} como su archivo temporal, que no es {3}",
    }
    IsJournalDamaged {
        en: "{0}: damaged journal of an interrupted issuance ({1}); compare the copies it names \
with the log (`watermark log show`) and remove it",
        es: "{0}: diario dañado de una emisión interrumpida ({1}); compare las copias que indica \
con la bitácora (`watermark log show`) y elimínelo",
    }
    IsRefuseRecover {
        en: "{0}: refusing to recover the interrupted issuance this journal describes: {1}. \
Nothing it names was touched. `watermark issue` never writes such a journal: find out how it \
came to be, compare the copies it names with the log (`watermark log show`), and remove it",
        es: "{0}: no se recuperará la emisión interrumpida que describe este diario: {1}. No se \
tocó nada de lo que indica. `watermark issue` nunca escribe un diario así: averigüe cómo llegó \
ahí, compare las copias que indica con la bitácora (`watermark log show`) y elimínelo",
    }
    // The issuance log: its origin, appending, restoring, receipts, consistency, the intent.
    LsBadOrigin {
        en: "log origin {0} cannot be used: {1}",
        es: "el origen de bitácora {0} no se puede usar: {1}",
    }
    LsCutting {
        en: "cutting {0} back to {1} bytes",
        es: "al recortar {0} a {1} bytes",
    }
    LsCannotLog {
        en: "cannot log this entry: {0}",
        es: "esta entrada no se puede registrar en la bitácora: {0}",
    }
    LsSigning { en: "signing a checkpoint: {0}", es: "al firmar un punto de control: {0}" }
    LsNothingToRestore {
        en: "the log has no entries without a checkpoint: there is nothing to restore",
        es: "la bitácora no tiene entradas sin punto de control: no hay nada que restaurar",
    }
    LsNotOurs {
        en: "the checkpoint given is not one of this log's (signed with {0}): {1}",
        es: "el punto de control dado no es de esta bitácora (firmada con {0}): {1}",
    }
    LsOtherLog {
        en: "the checkpoint given is for log {0}, not {1}",
        es: "el punto de control dado es de la bitácora {0}, no de {1}",
    }
    LsWrongSize {
        en: "the checkpoint given signs {0} entries; the log has {1} signed ones and {2} without \
a checkpoint, so only a checkpoint of {3} to {4} entries can restore them",
        es: "el punto de control dado firma {0} entradas; la bitácora tiene {1} firmadas y {2} \
sin punto de control, así que solo un punto de control de {3} a {4} entradas puede restaurarlas",
    }
    LsOtherRoot {
        en: "the checkpoint given does not sign these entries: the first {0} entries of the log \
give another root, so the unsigned ones are not the entries it signed",
        es: "el punto de control dado no firma estas entradas: las primeras {0} entradas de la \
bitácora dan otra raíz, así que las no firmadas no son las entradas que firmó",
    }
    LsNoCheckpointOfSize {
        en: "the log has no checkpoint of size {0} (it holds {1} entries)",
        es: "la bitácora no tiene un punto de control de tamaño {0} (contiene {1} entradas)",
    }
    LsEntryWhy { en: "entry {0}: {1}", es: "entrada {0}: {1}" }
    LsOldNotOurs {
        en: "the old checkpoint is not one of this log's: {0}",
        es: "el punto de control anterior no es de esta bitácora: {0}",
    }
    LsOldOtherLog {
        en: "the old checkpoint is for log {0}, not {1}",
        es: "el punto de control anterior es de la bitácora {0}, no de {1}",
    }
    LsOldCutBack {
        en: "the old checkpoint signs {0} entries but the log now holds {1}: the log was cut \
back since it was signed",
        es: "el punto de control anterior firma {0} entradas, pero la bitácora ahora contiene \
{1}: la bitácora se recortó después de firmarse",
    }
    LsRewritten {
        en: "the log does not extend the old checkpoint (its first {0} entries are not the ones \
that checkpoint signed: the log was rewritten): {1}",
        es: "la bitácora no extiende el punto de control anterior (sus primeras {0} entradas no \
son las que firmó ese punto de control: la bitácora se reescribió): {1}",
    }
    LsSigningIntent {
        en: "signing the append intent: {0}",
        es: "al firmar la intención de anexar: {0}",
    }
    LsNotIntent {
        en: "{0} is not an append intent signed by this log's key: {1}",
        es: "{0} no es una intención de anexar firmada con la clave de esta bitácora: {1}",
    }
    LsIntentNotUtf8 { en: "it is not UTF-8", es: "no es UTF-8" }
    LsIntentFirstLine {
        en: "its first line is not the intent's",
        es: "su primera línea no es la de una intención",
    }
    LsIntentNoBlank { en: "it has no blank line", es: "no tiene una línea en blanco" }
    LsIntentNoOrigin { en: "no origin line", es: "no tiene línea origin" }
    LsIntentNoSize { en: "no size line", es: "no tiene línea size" }
    LsIntentNoEntries { en: "no entries line", es: "no tiene línea entries" }
    LsIntentNoSignature { en: "no signature line", es: "no tiene línea signature" }
    LsIntentMoreLines {
        en: "it has more lines than an intent",
        es: "tiene más líneas que una intención",
    }
    LsIntentSignature {
        en: "its signature does not verify",
        es: "su firma no se verifica",
    }
    LsIntentEntries {
        en: "it does not hold the number of entries it names",
        es: "no contiene el número de entradas que indica",
    }
    // The state directory.
    StMadeMeanwhile {
        en: "{0} was made by another `watermark init` running at the same time; this run made no \
state",
        es: "{0} lo creó otro `watermark init` que se ejecutaba al mismo tiempo; esta ejecución \
no creó ningún estado",
    }
    StMadeMeanwhileBecause {
        en: "{0} was made by another `watermark init` running at the same time; this run made no \
state ({1})",
        es: "{0} lo creó otro `watermark init` que se ejecutaba al mismo tiempo; esta ejecución \
no creó ningún estado ({1})",
    }
    StTempTaken {
        en: "another `watermark init` of {0} removed this run's temporary directory {1} before \
this run had locked it, taking it for a killed run's; this run made nothing: run `watermark init` \
again if {2} holds no state now",
        es: "otro `watermark init` de {0} eliminó el directorio temporal {1} de esta ejecución \
antes de que esta lo bloqueara, tomándolo por el de una ejecución interrumpida; esta ejecución no \
creó nada: ejecute `watermark init` de nuevo si {2} no contiene ningún estado ahora",
    }
    StCannotName {
        en: "{0} cannot name a state directory",
        es: "{0} no puede ser el nombre de un directorio de estado",
    }
    StNotUtf8 { en: "{0}: not valid UTF-8", es: "{0}: no es UTF-8 válido" }
    // The workflows, the command line and the verify service.
    FmReadingConverted {
        en: "reading the converted extract",
        es: "al leer el extracto convertido",
    }
    FmReadingExtract { en: "reading the extract", es: "al leer el extracto" }
    FmCsvIssuedAsCsv {
        en: "a CSV extract is issued as CSV",
        es: "un extracto CSV se emite como CSV",
    }
    WgNoCheckpointOf {
        en: "the log has no checkpoint of {0} entries",
        es: "la bitácora no tiene un punto de control de {0} entradas",
    }
    WgAddingCosignature {
        en: "adding a witness's cosignature",
        es: "al agregar la cofirma de un testigo",
    }
    ApSettingMode { en: "setting the mode of {0}", es: "al fijar los permisos de {0}" }
    ClRenderingMan { en: "rendering the man page", es: "al generar la página de manual" }
    ClWritingStdout {
        en: "writing to standard output",
        es: "al escribir en la salida estándar",
    }
    ClAddressListened {
        en: "the address listened on",
        es: "la dirección en la que se escucha",
    }
    ClReportNotVerify { en: "{0} does not verify", es: "{0} no se verifica" }
    SvRuntime { en: "starting the runtime", es: "al iniciar el entorno de ejecución" }
    SvLoadingSigningKey {
        en: "loading the log's signing key",
        es: "al cargar la clave de firma de la bitácora",
    }
    SvTokenShort {
        en: "line {0}: the token is shorter than {1} characters (make tokens with e.g. `openssl \
rand -hex 32`)",
        es: "línea {0}: el token tiene menos de {1} caracteres (genere tokens, por ejemplo, con \
`openssl rand -hex 32`)",
    }
    SvTokenAscii {
        en: "line {0}: a token may hold only visible ASCII characters",
        es: "línea {0}: un token solo puede contener caracteres ASCII visibles",
    }
    SvTokenNoName {
        en: "line {0}: name the investigator after the token (`TOKEN NAME`): each verification \
is logged under that name",
        es: "línea {0}: indique el nombre del investigador después del token (`TOKEN NAME`): \
cada verificación se registra con ese nombre",
    }
    SvTokenName {
        en: "line {0}: the investigator's name must be 1 to 64 characters without control \
characters",
        es: "línea {0}: el nombre del investigador debe tener de 1 a 64 caracteres, sin \
caracteres de control",
    }
    SvTokenTwice {
        en: "line {0}: this token is given on an earlier line too",
        es: "línea {0}: este token también aparece en una línea anterior",
    }
    SvNoTokens {
        en: "no tokens: give one line per investigator, `TOKEN NAME`",
        es: "no hay tokens: escriba una línea por investigador, `TOKEN NAME`",
    }
    SvTokensExposed {
        en: "{0} can be accessed by other users (mode {1}): it holds secrets, so restrict it with \
`chmod 600 {2}`",
        es: "otros usuarios pueden acceder a {0} (permisos {1}): contiene secretos, así que \
restrínjalo con `chmod 600 {2}`",
    }
    // ---- Extracts split into several Parquet files, and clusters. ----
    SpNotDirectory { en: "{0} is not a directory of Parquet files", es: "{0} no es un directorio de archivos Parquet" }
    SpNoParquet { en: "{0} holds no .parquet file", es: "{0} no contiene ningún archivo .parquet" }
    SpNotParquet { en: "{0} is not a Parquet file: {1}", es: "{0} no es un archivo Parquet: {1}" }
    SpOtherColumns { en: "{0} has other columns than {1}: every file of a split extract has the same columns", es: "{0} tiene otras columnas que {1}: todos los archivos de un extracto dividido tienen las mismas columnas" }
    SpBadManifest { en: "line {0} of the manifest is not in its form", es: "la línea {0} del manifiesto no tiene su forma" }
    SpDigestDiffers { en: "{0} is not the canary list the order names (BLAKE3 {1})", es: "{0} no es la lista de canarios que indica la orden (BLAKE3 {1})" }
    SpOtherKey { en: "the order is for master key {0}, and this worker holds key {1}", es: "la orden es para la llave maestra {0} y este nodo tiene la llave {1}" }
    SpNoSuchPart { en: "the order has no file number {0} (it has {1})", es: "la orden no tiene el archivo número {0} (tiene {1})" }
    SpRowsChanged { en: "{0} had {1} rows when the order was made and has {2} now", es: "{0} tenía {1} filas al hacerse la orden y ahora tiene {2}" }
    SpUnauthorized { en: "the order is not authorised under this master key: it was made without the key, or changed since", es: "la orden no está autorizada con esta llave maestra: se hizo sin la llave o cambió desde entonces" }
    SpBadThreshold { en: "{0} is not a threshold", es: "{0} no es un umbral" }
    SplitNoMaster { en: "a leak split into several files is read with its identity columns; --master is not supported for it", es: "una fuga dividida en varios archivos se lee con sus columnas de identidad; --master no se admite para ella" }
    SplitCopyChanged { en: "{0} is not the file its worker marked", es: "{0} no es el archivo que marcó su nodo" }
    SplitPartsMissing { en: "the workers returned {0} of the {1} files, each once", es: "los nodos entregaron {0} de los {1} archivos, cada uno una vez" }
    SplitInputChanged { en: "{0} changed while the copies were made", es: "{0} cambió mientras se hacían las copias" }
    SplitParquetOnly { en: "the copies of an extract split into Parquet files are Parquet files: --format and --encoding do not apply", es: "las copias de un extracto dividido en archivos Parquet son archivos Parquet: --format y --encoding no se aplican" }
    ClNoKey { en: "this process holds no master key: the toolkit's operators run on executors started with --key-file", es: "este proceso no tiene la llave maestra: los operadores del sistema corren en nodos iniciados con --key-file" }
    ClWholeResult { en: "an issuance's result is read whole", es: "el resultado de una emisión se lee completo" }
    ClRowNumbers { en: "the first argument of watermark_tally is the rows' numbers (__row), with none missing", es: "el primer argumento de watermark_tally son los números de fila (__row), sin faltar ninguno" }
    ClBadState { en: "a partial state of watermark_tally is not a tally", es: "un estado parcial de watermark_tally no es un conteo" }
    ClUnknownFunction { en: "{0} is not a function of the registry watermark", es: "{0} no es una función del sistema de marcas" }
    ClBadUrl { en: "{0} is not a cluster address: give it as df://HOST:PORT", es: "{0} no es la dirección de un clúster: indíquela como df://HOST:PUERTO" }
    ClRuntime { en: "could not start the client's runtime", es: "no se pudo iniciar el entorno del cliente" }
    ClJobFailed { en: "the job on {0} failed: {1}", es: "el trabajo en {0} falló: {1}" }
    ClNoTally { en: "the cluster returned no tally", es: "el clúster no devolvió ningún conteo" }
    ClPartsDisagree { en: "two results for {0} disagree", es: "dos resultados de {0} no coinciden" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_and_plurals_agree() {
        assert_eq!(count(Lang::En, Msg::Rows, 1), "1 row");
        assert_eq!(count(Lang::En, Msg::Rows, 0), "0 rows");
        assert_eq!(count(Lang::En, Msg::Rows, 1_234_567), "1,234,567 rows");
        assert_eq!(count(Lang::Es, Msg::Rows, 1), "1 fila");
        assert_eq!(count(Lang::Es, Msg::Rows, 2), "2 filas");
        assert_eq!(count(Lang::En, Msg::CanaryRows, 1), "1 canary row");
        assert_eq!(count(Lang::Es, Msg::CanaryRows, 3), "3 filas canario");
        assert_eq!(count(Lang::En, Msg::Entries, 1), "1 entry");
        assert_eq!(count(Lang::En, Msg::Entries, 12), "12 entries");
        assert_eq!(
            trn(Lang::Es, Msg::OnlyFew, 1, &[&1]),
            "Solo se encontró 1 posición marcada; una muestra mayor podría decidir."
        );
        assert_eq!(tr(Lang::Es, Msg::AccusedLine, &[&"PAN"]), "ACUSADO: PAN");
        assert_eq!(
            tr_html(Lang::En, Msg::MatchesAt, &[&"<b>A</b>", &1, &2]),
            "The file matches <b>A</b>&#39;s copy at 1 of 2."
        );
    }

    #[test]
    fn every_message_has_both_languages_with_the_same_arguments_and_forms() {
        for msg in Msg::ALL {
            let (en, es) = (msg.template(Lang::En), msg.template(Lang::Es));
            assert!(!en.is_empty() && !es.is_empty(), "{msg:?}");
            assert_eq!(
                en.matches('|').count(),
                es.matches('|').count(),
                "{msg:?}: singular and plural forms"
            );
            for k in 0..10 {
                let p = format!("{{{k}}}");
                assert_eq!(en.contains(&p), es.contains(&p), "{msg:?}: argument {k}");
            }
        }
    }

    #[test]
    fn the_english_check_finds_an_untranslated_sentence() {
        let fragments = english_fragments(3);
        assert!(fragments
            .iter()
            .any(|f| f.starts_with("The chance that a recipient who did not leak")));
        // A Spanish text with one English sentence left in it is caught.
        let mixed = format!(
            "{}\n{}",
            tr(Lang::Es, Msg::AccusedLine, &[&"PAN"]),
            tr(Lang::En, Msg::NoOneAccused, &[&"1e-9"])
        );
        assert!(!english_in(&mixed, 3).is_empty());
        assert!(english_in(&tr(Lang::Es, Msg::NoOneAccused, &[&"1e-9"]), 3).is_empty());
    }
}
