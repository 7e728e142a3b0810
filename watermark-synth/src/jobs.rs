//! Vocabulary of job titles, degrees and employers shared by the job-portal
//! and staff-roster generators, in the forms people type them: each title
//! word that is commonly abbreviated comes with its abbreviation, and a
//! generated row uses one or the other as people do (`LIC.` / `LICENCIADO`,
//! `AUX.` / `AUXILIAR`, `ADMVO.` / `ADMINISTRATIVO`).

use crate::util::Rng;

/// Words of titles and degrees and their usual abbreviations, the full form
/// first.
pub(crate) const ABBREVIATIONS: &[(&str, &str)] = &[
    ("LICENCIADO", "LIC."),
    ("LICENCIADA", "LIC."),
    ("LICENCIATURA", "LIC."),
    ("INGENIERO", "ING."),
    ("INGENIERA", "ING."),
    ("INGENIERIA", "ING."),
    ("AUXILIAR", "AUX."),
    ("ADMINISTRATIVO", "ADMVO."),
    ("ADMINISTRATIVA", "ADMVA."),
    ("ADMINISTRACION", "ADMON."),
    ("ASISTENTE", "ASIST."),
    ("CONTADOR PUBLICO", "C.P."),
    ("CONTADORA PUBLICA", "C.P."),
    ("TECNICO", "TEC."),
    ("TECNICA", "TEC."),
    ("MAESTRIA", "MTRIA."),
    ("MAESTRO", "MTRO."),
    ("MAESTRA", "MTRA."),
    ("DOCTOR", "DR."),
    ("DOCTORA", "DRA."),
    ("ARQUITECTO", "ARQ."),
    ("ARQUITECTA", "ARQ."),
    ("DEPARTAMENTO", "DEPTO."),
    ("COORDINADOR", "COORD."),
    ("COORDINADORA", "COORD."),
    ("SUPERVISOR", "SUP."),
    ("SUPERVISORA", "SUP."),
    ("GERENTE", "GTE."),
    ("GENERAL", "GRAL."),
    ("ENFERMERA", "ENF."),
    ("ENFERMERO", "ENF."),
    ("MEDICO", "MED."),
    ("ESPECIALISTA", "ESP."),
    ("MANTENIMIENTO", "MTTO."),
    ("OPERADOR", "OPER."),
    ("SECRETARIA", "SRIA."),
];

/// Degrees (`TITULO`), full forms; the words of [`ABBREVIATIONS`] are
/// written abbreviated in some rows. Index by field, with the schooling
/// level each needs: 0 technical, 1 bachelor's, 2 master's, 3 doctorate.
pub(crate) const DEGREES: &[(&str, u8)] = &[
    ("TECNICO EN ENFERMERIA", 0),
    ("TECNICO EN CONTABILIDAD", 0),
    ("TECNICO EN INFORMATICA", 0),
    ("TECNICO EN ELECTRICIDAD", 0),
    ("TECNICO EN ADMINISTRACION", 0),
    ("LICENCIATURA EN ADMINISTRACION", 1),
    ("LICENCIATURA EN DERECHO", 1),
    ("LICENCIATURA EN CONTADURIA", 1),
    ("LICENCIATURA EN PSICOLOGIA", 1),
    ("LICENCIATURA EN ENFERMERIA", 1),
    ("LICENCIATURA EN MERCADOTECNIA", 1),
    ("LICENCIATURA EN PEDAGOGIA", 1),
    ("LICENCIATURA EN CIENCIAS DE LA COMUNICACION", 1),
    ("INGENIERIA EN SISTEMAS COMPUTACIONALES", 1),
    ("INGENIERIA INDUSTRIAL", 1),
    ("INGENIERIA CIVIL", 1),
    ("INGENIERIA MECANICA ELECTRICA", 1),
    ("INGENIERIA EN GESTION EMPRESARIAL", 1),
    ("CONTADOR PUBLICO", 1),
    ("ARQUITECTO", 1),
    ("MEDICO CIRUJANO", 1),
    ("MAESTRIA EN ADMINISTRACION", 2),
    ("MAESTRIA EN EDUCACION", 2),
    ("MAESTRIA EN DERECHO FISCAL", 2),
    ("MAESTRIA EN TECNOLOGIAS DE LA INFORMACION", 2),
    ("DOCTORADO EN CIENCIAS", 3),
    ("DOCTORADO EN DERECHO", 3),
];

/// Job titles, full forms, with the lowest schooling level that usually
/// holds them (as [`SCHOOLING`] indexes it).
pub(crate) const TITLES: &[(&str, usize)] = &[
    ("AUXILIAR ADMINISTRATIVO", 2),
    ("AUXILIAR CONTABLE", 2),
    ("AUXILIAR DE ALMACEN", 1),
    ("AUXILIAR DE LIMPIEZA", 0),
    ("ASISTENTE DE DIRECCION", 2),
    ("ASISTENTE ADMINISTRATIVO", 2),
    ("CAJERO", 1),
    ("CAJERA", 1),
    ("VENDEDOR DE PISO", 1),
    ("ASESOR DE VENTAS", 2),
    ("EJECUTIVO DE ATENCION A CLIENTES", 2),
    ("AGENTE DE CALL CENTER", 2),
    ("CHOFER REPARTIDOR", 1),
    ("OPERADOR DE MONTACARGAS", 1),
    ("OPERADOR DE PRODUCCION", 1),
    ("GUARDIA DE SEGURIDAD", 1),
    ("RECEPCIONISTA", 2),
    ("SECRETARIA", 2),
    ("ALMACENISTA", 1),
    ("COCINERO", 0),
    ("MESERO", 1),
    ("TECNICO EN MANTENIMIENTO", 3),
    ("TECNICO DE SOPORTE", 3),
    ("ENFERMERA GENERAL", 3),
    ("CONTADOR GENERAL", 4),
    ("ANALISTA DE SISTEMAS", 4),
    ("DESARROLLADOR DE SOFTWARE", 4),
    ("INGENIERO DE CALIDAD", 4),
    ("INGENIERO DE PROCESOS", 4),
    ("SUPERVISOR DE PRODUCCION", 3),
    ("COORDINADOR DE RECURSOS HUMANOS", 4),
    ("JEFE DE DEPARTAMENTO", 4),
    ("GERENTE DE SUCURSAL", 4),
    ("GERENTE ADMINISTRATIVO", 4),
    ("MEDICO GENERAL", 4),
    ("PROFESOR DE PRIMARIA", 4),
    ("ABOGADO LITIGANTE", 4),
    ("DOCENTE DE BACHILLERATO", 5),
];

/// Schooling levels (`ESCOLARIDAD`), lowest first, with their share per
/// mille among job seekers.
pub(crate) const SCHOOLING: &[(&str, u32)] = &[
    ("PRIMARIA", 60),
    ("SECUNDARIA", 210),
    ("BACHILLERATO", 300),
    ("CARRERA TECNICA", 110),
    ("LICENCIATURA", 270),
    ("MAESTRIA", 45),
    ("DOCTORADO", 5),
];

/// Employers named in work histories.
pub(crate) const EMPLOYERS: &[&str] = &[
    "COMERCIALIZADORA DEL NORTE SA DE CV",
    "TIENDAS DE AUTOSERVICIO DEL CENTRO",
    "GRUPO INDUSTRIAL DEL BAJIO",
    "DISTRIBUIDORA FARMACEUTICA DE OCCIDENTE",
    "SERVICIOS ADMINISTRATIVOS INTEGRALES SC",
    "TRANSPORTES Y LOGISTICA DEL GOLFO",
    "CONSTRUCTORA E INMOBILIARIA DEL SURESTE",
    "CALL CENTER SOLUCIONES TELEFONICAS",
    "RESTAURANTE LOS ARCOS",
    "MAQUILADORA DE EXPORTACION DEL PACIFICO",
    "HOSPITAL PRIVADO SAN JOSE",
    "DESPACHO CONTABLE HERNANDEZ Y ASOCIADOS",
    "AUTOPARTES Y REFACCIONES DEL VALLE",
    "SEGURIDAD PRIVADA ALFA",
    "COLEGIO PARTICULAR MIGUEL HIDALGO",
    "AYUNTAMIENTO MUNICIPAL",
    "PANIFICADORA LA ESPIGA",
    "TELECOMUNICACIONES DEL ALTIPLANO",
    "SUPERMERCADOS LA PROVIDENCIA",
    "FERRETERIA EL TORNILLO",
];

/// Verbs opening a sentence of a free-text work history, and what follows.
pub(crate) const DUTIES: &[&str] = &[
    "ATENCION A CLIENTES",
    "MANEJO DE CAJA",
    "CONTROL DE INVENTARIOS",
    "CAPTURA DE DATOS",
    "ELABORACION DE REPORTES",
    "ARCHIVO Y CORRESPONDENCIA",
    "FACTURACION",
    "CONCILIACIONES BANCARIAS",
    "MANTENIMIENTO PREVENTIVO",
    "SOPORTE A USUARIOS",
    "SUPERVISION DE PERSONAL",
    "RECEPCION DE MERCANCIA",
    "REPARTO A DOMICILIO",
    "LIMPIEZA DE AREAS",
    "VENTAS EN PISO",
];

/// E-mail domains, most common first, with their share per mille.
pub(crate) const MAIL_DOMAINS: &[(&str, u32)] = &[
    ("gmail.com", 520),
    ("hotmail.com", 260),
    ("outlook.com", 90),
    ("yahoo.com.mx", 60),
    ("live.com.mx", 30),
    ("icloud.com", 25),
    ("prodigy.net.mx", 15),
];

/// `text` with each word (or phrase) of [`ABBREVIATIONS`] written
/// abbreviated with probability `per_mille` / 1000, decided once per row
/// for all of them (people abbreviate consistently within what they type).
pub(crate) fn spelled(rng: &mut Rng, text: &str, per_mille: u32) -> String {
    if !rng.per_mille(per_mille) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'outer: while !rest.is_empty() {
        for (full, short) in ABBREVIATIONS {
            if let Some(after) = rest.strip_prefix(full) {
                if after.is_empty() || after.starts_with(' ') {
                    out.push_str(short);
                    rest = after;
                    continue 'outer;
                }
            }
        }
        // Copy one word (and the space after it).
        let end = rest.find(' ').map_or(rest.len(), |i| i + 1);
        out.push_str(&rest[..end]);
        rest = &rest[end..];
    }
    out
}

/// A telephone number of ten digits starting with `area`, in one of the
/// forms people type: `5512345678`, `55 1234 5678`, `(55) 1234-5678`,
/// `55-1234-5678`, `+52 55 1234 5678`.
pub(crate) fn phone(rng: &mut Rng, area: &str) -> String {
    // Ten digits in all: a two-digit area code (55, 33, 81) is followed by
    // eight, a three-digit one by seven.
    let local = 10usize.saturating_sub(area.len()).min(8);
    let bound = 10u32.pow(local as u32);
    let digits = format!("{area}{:0local$}", rng.below(bound));
    // Local numbers split as 2+4+4 for the three big cities' two-digit area
    // codes, 3+3+4 elsewhere.
    let split = if matches!(&digits[..2], "55" | "33" | "81") {
        2
    } else {
        3
    };
    let (a, rest) = digits.split_at(split);
    let (b, c) = rest.split_at(rest.len() - 4);
    match rng.below(100) {
        0..=44 => digits.clone(),
        45..=64 => format!("{a} {b} {c}"),
        65..=79 => format!("({a}) {b}-{c}"),
        80..=91 => format!("{a}-{b}-{c}"),
        _ => format!("+52 {a} {b} {c}"),
    }
}

/// A name as a word of an e-mail address: its ASCII letters, lower case
/// (`MUÑOZ` gives `muoz`, as mail providers make people write it).
pub(crate) fn mail_word(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// An e-mail address made from a person's names, as people choose them:
/// `maria.hernandez87@gmail.com`, `mghl_1990@hotmail.com`,
/// `jlopez2@outlook.com`; `suffix`, when given, is appended to the local
/// part (to make an address unique within an extract).
pub(crate) fn email(
    rng: &mut Rng,
    given: &str,
    first: &str,
    second: &str,
    birth_year: u16,
    suffix: Option<u32>,
) -> String {
    let lower = mail_word;
    let first_given = given.split(' ').next().unwrap_or(given);
    let initial = |s: &str| lower(s).chars().next().unwrap_or('x');
    let local = match rng.below(4) {
        0 => format!(
            "{}.{}{:02}",
            lower(first_given),
            lower(first),
            birth_year % 100
        ),
        1 => format!(
            "{}{}{}{}_{}",
            initial(first_given),
            given.split(' ').nth(1).map_or('x', initial),
            initial(first),
            initial(second),
            birth_year
        ),
        2 => format!("{}{}", initial(first_given), lower(first)),
        _ => format!("{}_{}{}", lower(first_given), lower(first), lower(second)),
    };
    let total: u32 = MAIL_DOMAINS.iter().map(|d| d.1).sum();
    let mut r = rng.below(total);
    let mut domain = MAIL_DOMAINS[0].0;
    for (d, w) in MAIL_DOMAINS {
        if r < *w {
            domain = d;
            break;
        }
        r -= w;
    }
    match suffix {
        Some(n) => format!("{local}{n}@{domain}"),
        None => format!("{local}@{domain}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_replace_whole_words_only() {
        let mut rng = Rng::new(1, 99);
        assert_eq!(
            spelled(&mut rng, "AUXILIAR ADMINISTRATIVO", 1000),
            "AUX. ADMVO."
        );
        assert_eq!(
            spelled(&mut rng, "LICENCIATURA EN DERECHO", 1000),
            "LIC. EN DERECHO"
        );
        assert_eq!(spelled(&mut rng, "CONTADOR PUBLICO", 1000), "C.P.");
        // A word that merely starts like one is left alone.
        assert_eq!(spelled(&mut rng, "GENERALES", 1000), "GENERALES");
        assert_eq!(
            spelled(&mut rng, "AUXILIAR ADMINISTRATIVO", 0),
            "AUXILIAR ADMINISTRATIVO"
        );
    }

    #[test]
    fn phones_keep_their_ten_digits_in_every_form() {
        let mut rng = Rng::new(2, 99);
        let mut forms = std::collections::HashSet::new();
        for _ in 0..500 {
            let p = phone(&mut rng, "55");
            let digits: String = p.chars().filter(char::is_ascii_digit).collect();
            let digits = digits
                .strip_prefix("52")
                .filter(|_| p.starts_with('+'))
                .map_or(digits.clone(), str::to_owned);
            assert_eq!(digits.len(), 10, "{p}");
            assert!(digits.starts_with("55"), "{p}");
            forms.insert(
                p.chars()
                    .map(|c| if c.is_ascii_digit() { '9' } else { c })
                    .collect::<String>(),
            );
        }
        assert_eq!(forms.len(), 5, "{forms:?}");
    }
}
