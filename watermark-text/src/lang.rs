//! The language people read: Spanish (es-MX) or English.
//!
//! The command line takes it from `--lang` (or `WATERMARK_LANG`), else from
//! the locale ([`Lang::from_locale`]: `LC_ALL`, then `LC_MESSAGES`, then
//! `LANG`, Spanish when the first set one starts with `es`), else English.
//! The verify service takes it from `?lang=`, else from the browser's
//! `Accept-Language` ([`Lang::from_accept_language`]). Only human text is
//! in a language: JSON documents are the same in both.

/// A language human output is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// English, the default.
    #[default]
    En,
    /// Spanish as written in Mexico (es-MX), formal register.
    Es,
}

impl Lang {
    /// Both languages, English first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    /// `en` or `es`, as `--lang` and `?lang=` take it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// The language tag an HTML page declares: `en` or `es-MX`.
    pub fn html_tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es-MX",
        }
    }

    /// A language tag or locale name read as a language: `es`, `es-MX`,
    /// `es_MX.UTF-8`, `ES` are Spanish; `en`, `en_US` English; anything
    /// else (`C`, `POSIX`, `fr_FR`) none.
    pub fn parse(tag: &str) -> Option<Lang> {
        let tag = tag.trim();
        let primary = tag
            .split(['-', '_', '.', '@'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "es" => Some(Lang::Es),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language of the locale: the first of `LC_ALL`, `LC_MESSAGES`
    /// and `LANG` that is set and not empty decides (as POSIX has it),
    /// Spanish when it names Spanish (`es`, `es_MX.UTF-8`), English
    /// otherwise (`C`, `en_US.UTF-8`, `fr_FR`, none set).
    pub fn from_locale(
        lc_all: Option<&str>,
        lc_messages: Option<&str>,
        lang: Option<&str>,
    ) -> Lang {
        let first = [lc_all, lc_messages, lang]
            .into_iter()
            .flatten()
            .find(|v| !v.trim().is_empty());
        match first.and_then(Lang::parse) {
            Some(Lang::Es) => Lang::Es,
            _ => Lang::En,
        }
    }

    /// [`Lang::from_locale`] with this process's environment.
    pub fn from_env() -> Lang {
        let var = |name: &str| std::env::var(name).ok();
        Lang::from_locale(
            var("LC_ALL").as_deref(),
            var("LC_MESSAGES").as_deref(),
            var("LANG").as_deref(),
        )
    }

    /// The language an `Accept-Language` header prefers: Spanish when the
    /// range it ranks highest of those naming Spanish or English is
    /// Spanish (`es-MX,es;q=0.9,en;q=0.8`), English otherwise. Of two
    /// ranked the same the first listed wins; `q=0` excludes.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for range in header.split(',') {
            let mut parts = range.split(';');
            let Some(lang) = Lang::parse(parts.next().unwrap_or("")) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locale_decides_in_posix_order() {
        assert_eq!(Lang::from_locale(None, None, None), Lang::En);
        assert_eq!(Lang::from_locale(None, None, Some("es_MX.UTF-8")), Lang::Es);
        assert_eq!(Lang::from_locale(None, None, Some("es")), Lang::Es);
        assert_eq!(Lang::from_locale(None, None, Some("en_US.UTF-8")), Lang::En);
        assert_eq!(Lang::from_locale(None, None, Some("C")), Lang::En);
        assert_eq!(Lang::from_locale(None, None, Some("fr_FR")), Lang::En);
        // LC_ALL over LC_MESSAGES over LANG; empty means unset.
        assert_eq!(
            Lang::from_locale(Some("C"), Some("es_MX"), Some("es_MX")),
            Lang::En
        );
        assert_eq!(
            Lang::from_locale(Some(""), Some("es_ES.UTF-8"), Some("en_US")),
            Lang::Es
        );
        assert_eq!(
            Lang::from_locale(None, Some("en_GB"), Some("es_MX")),
            Lang::En
        );
        assert_eq!(Lang::from_locale(Some("es_MX@euro"), None, None), Lang::Es);
        // "est" is Estonian, not Spanish.
        assert_eq!(Lang::from_locale(None, None, Some("et_EE")), Lang::En);
        assert_eq!(Lang::parse("espanol"), None);
    }

    #[test]
    fn accept_language_prefers_the_highest_ranked() {
        assert_eq!(Lang::from_accept_language(""), Lang::En);
        assert_eq!(Lang::from_accept_language("es-MX"), Lang::Es);
        assert_eq!(
            Lang::from_accept_language("es-MX,es;q=0.9,en;q=0.8"),
            Lang::Es
        );
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,es;q=0.8"),
            Lang::En
        );
        assert_eq!(Lang::from_accept_language("fr, es;q=0.5"), Lang::Es);
        assert_eq!(Lang::from_accept_language("en;q=0.5, es;q=0.7"), Lang::Es);
        assert_eq!(Lang::from_accept_language("es;q=0, en;q=0.1"), Lang::En);
        assert_eq!(Lang::from_accept_language("*"), Lang::En);
    }
}
