//! Random people (names, sex, birth date) and unique CURPs for them.

use watermark_core::ids::{build_curp, curp_check_digit, CurpInput, Sex};

use crate::data;
use crate::util::{IdSet, Rng, Weighted};

/// Share (per mille) of people with a single given name; the rest have two.
const SINGLE_GIVEN_NAME: u32 = 600;
/// Share (per mille) of people whose two given names are a frequent pair.
const FREQUENT_PAIR: u32 = 200;
/// Share (per mille) of people without a second surname.
const NO_SECOND_SURNAME: u32 = 3;

/// Given names that often open a two-word given name.
const FEMALE_FIRST_OF_PAIR: &[&str] = &["MARIA", "MARIA", "MARIA", "ANA", "ROSA", "LUZ", "MA."];
const MALE_FIRST_OF_PAIR: &[&str] = &["JOSE", "JOSE", "JOSE", "JUAN", "LUIS", "JESUS", "MIGUEL"];

/// A generated person.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    /// Given name(s), space separated.
    pub(crate) given: String,
    /// First surname.
    pub(crate) first_surname: &'static str,
    /// Second surname, empty for a few people.
    pub(crate) second_surname: &'static str,
    /// Sex.
    pub(crate) sex: Sex,
    /// Birth date `(year, month, day)`.
    pub(crate) birth: (u16, u8, u8),
}

impl Person {
    /// The CURP builder's view of this person born in entity `state`.
    pub(crate) fn curp_input<'a>(&'a self, state: &'a str) -> CurpInput<'a> {
        CurpInput {
            given_names: &self.given,
            first_surname: self.first_surname,
            second_surname: self.second_surname,
            birth: self.birth,
            sex: self.sex,
            state,
        }
    }
}

/// Name distributions: Zipf-like over the embedded lists, which are ordered
/// from most to least common.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    female: Weighted,
    male: Weighted,
    surnames: Weighted,
}

impl Names {
    pub(crate) fn new() -> Self {
        Names {
            female: Weighted::zipf(data::FEMALE_NAMES.len(), 6),
            male: Weighted::zipf(data::MALE_NAMES.len(), 6),
            surnames: Weighted::zipf(data::SURNAMES.len(), 8),
        }
    }

    /// A surname.
    pub(crate) fn surname(&self, rng: &mut Rng) -> &'static str {
        data::SURNAMES[self.surnames.sample(rng)]
    }

    /// One given name (a single word) for `sex`.
    fn single_given(&self, rng: &mut Rng, sex: Sex) -> &'static str {
        match sex {
            Sex::M => data::FEMALE_NAMES[self.female.sample(rng)],
            Sex::H => data::MALE_NAMES[self.male.sample(rng)],
        }
    }

    /// Given name(s) for `sex` into `out` (cleared first).
    pub(crate) fn given(&self, rng: &mut Rng, sex: Sex, out: &mut String) {
        out.clear();
        let r = rng.below(1000);
        if r < SINGLE_GIVEN_NAME {
            out.push_str(self.single_given(rng, sex));
        } else if r < SINGLE_GIVEN_NAME + FREQUENT_PAIR {
            out.push_str(match sex {
                Sex::M => rng.pick(data::FEMALE_COMPOUND_NAMES),
                Sex::H => rng.pick(data::MALE_COMPOUND_NAMES),
            });
        } else {
            let first = match sex {
                Sex::M => rng.pick(FEMALE_FIRST_OF_PAIR),
                Sex::H => rng.pick(MALE_FIRST_OF_PAIR),
            };
            let mut second = self.single_given(rng, sex);
            while second == first || (first == "MA." && second == "MARIA") {
                second = self.single_given(rng, sex);
            }
            out.push_str(first);
            out.push(' ');
            out.push_str(second);
        }
    }

    /// A person, female with probability `female_per_mille` / 1000, born on
    /// `birth`; `given` is a buffer reused for the given names.
    pub(crate) fn person(
        &self,
        rng: &mut Rng,
        female_per_mille: u32,
        birth: (u16, u8, u8),
        given: String,
    ) -> Person {
        let sex = if rng.per_mille(female_per_mille) {
            Sex::M
        } else {
            Sex::H
        };
        let mut given = given;
        self.given(rng, sex, &mut given);
        let first_surname = self.surname(rng);
        let second_surname = if rng.per_mille(NO_SECOND_SURNAME) {
            ""
        } else {
            self.surname(rng)
        };
        Person {
            given,
            first_surname,
            second_surname,
            sex,
            birth,
        }
    }
}

/// Issues the CURP of `person` born in entity `state`, choosing a homonym
/// character not yet used in `issued` (a digit for births before 2000, a
/// letter from 2000, starting from a random one). `None` when all homonym
/// characters of that 16-character stem are taken; the caller then draws
/// another person.
pub(crate) fn issue_curp(
    rng: &mut Rng,
    issued: &mut IdSet,
    person: &Person,
    state: &str,
) -> Option<String> {
    const DIGITS: &[u8] = b"0123456789";
    const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let pool = if person.birth.0 < 2000 {
        DIGITS
    } else {
        LETTERS
    };
    let mut curp = build_curp(&person.curp_input(state), char::from(pool[0]));
    let start = rng.index(pool.len());
    for k in 0..pool.len() {
        let homonym = char::from(pool[(start + k) % pool.len()]);
        curp.truncate(16);
        curp.push(homonym);
        let check = curp_check_digit(&curp).unwrap_or(0);
        curp.push(char::from(b'0' + check));
        if issued.insert(&curp) {
            return Some(curp);
        }
    }
    None
}
