"""Countries and regions: codes, names in en/fr/es/pt, and place detection in free text.

Everything here is static data plus pure functions; nothing is loaded at run time. Matching folds
accents and case (NFKD, combining marks stripped, casefold) and works on whole words, so "Niger" is
never found inside "Nigeria" and "Mali" never inside "Somalia".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "COUNTRIES",
    "PRIMARY_REGIONS",
    "REGIONS",
    "Country",
    "PlaceMatch",
    "Region",
    "Token",
    "country_code",
    "country_name",
    "find_places",
    "fold",
    "normalise",
    "region_of",
    "tokenise",
]


# --------------------------------------------------------------------------------------------
# Text folding and tokenising (shared with assistant.text.sdg)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    """A word of the folded text, with its character span in the original text."""

    text: str
    start: int
    end: int


def fold(text: str) -> str:
    """Accent- and case-insensitive form: NFKD, combining marks dropped, casefolded."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def tokenise(text: str) -> list[Token]:
    """Folded alphanumeric words of `text`; every other character (apostrophes, hyphens,
    punctuation) separates words, which is what makes "l'Afrique" and "Guinea-Bissau" match."""
    tokens: list[Token] = []
    chars: list[str] = []
    start = end = 0
    for i, ch in enumerate(text):
        folded = fold(ch)
        if not folded:
            # A lone combining mark (text already decomposed) belongs to the word it follows.
            if chars:
                end = i + 1
            continue
        for c in folded:
            if c.isalnum():
                if not chars:
                    start = i
                chars.append(c)
                end = i + 1
            elif chars:
                tokens.append(Token("".join(chars), start, end))
                chars = []
    if chars:
        tokens.append(Token("".join(chars), start, end))
    return tokens


def normalise(text: str) -> str:
    """Folded words joined by single spaces: the key every name table is indexed by."""
    return " ".join(t.text for t in tokenise(text))


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

PRIMARY_REGIONS: tuple[str, ...] = (
    "East Africa",
    "West Africa",
    "Central Africa",
    "Southern Africa",
    "North Africa",
    "Arab States",
    "South Asia",
    "South-East Asia",
    "East Asia",
    "Pacific",
    "Latin America",
    "Caribbean",
    "Central Asia",
    "Europe",
    "North America",
)

# Outside Europe and North America these are the DAC/high-income North; Gulf states, Singapore,
# Chile etc. stay in the Global South because they are G77 members and South-South providers.
_NORTH_OUTSIDE_EUROPE_AND_NORTH_AMERICA = frozenset({"JPN", "KOR", "AUS", "NZL"})

# Row: iso3, iso2, English name, primary region, other names "|"-separated, demonyms "|"-separated.
# Names cover fr/es/pt and common short forms. A leading "=" marks an alias that is an everyday
# word in lower case ("usa" is Spanish/Portuguese for "uses", "eau" French for "water"), so free
# text matches it only when written in capitals. Demonyms get their plural forms generated.
# Deliberately absent: bare "Gana" (Spanish/Portuguese "desire"), "Grenade"/"Granada"
# (pomegranate, a Spanish city), bare "Salvador" (a Brazilian city), "CAR", "PNG", bare "Chili",
# English "American" ("Inter-American", "South American"), and demonyms that are also language
# names in this app's own languages ("French-speaking", "Spanish", "Portuguese", "Russian"...).
_COUNTRY_ROWS: tuple[tuple[str, str, str, str, str, str], ...] = (
    # --- North Africa
    (
        "DZA",
        "DZ",
        "Algeria",
        "North Africa",
        "Algérie|Argelia|Argélia",
        "Algerian|algérien|algérienne|argelino|argelina",
    ),
    (
        "EGY",
        "EG",
        "Egypt",
        "North Africa",
        "Égypte|Egipto|Egito",
        "Egyptian|égyptien|égyptienne|egipcio|egipcia|egípcio|egípcia",
    ),
    ("LBY", "LY", "Libya", "North Africa", "Libye|Libia|Líbia", "Libyan|libyen|libyenne|libio|libia|líbio"),
    (
        "MAR",
        "MA",
        "Morocco",
        "North Africa",
        "Maroc|Marruecos|Marrocos",
        "Moroccan|marocain|marocaine|marroquí|marroquino|marroquina",
    ),
    (
        "TUN",
        "TN",
        "Tunisia",
        "North Africa",
        "Tunisie|Túnez|Tunísia",
        "Tunisian|tunisien|tunisienne|tunecino|tunecina|tunisiano|tunisiana",
    ),
    (
        "SDN",
        "SD",
        "Sudan",
        "North Africa",
        "Soudan|Sudán|Sudão|Republic of the Sudan|the Sudan",
        "Sudanese|soudanais|soudanaise|sudanés|sudanesa|sudanês",
    ),
    # --- West Africa
    ("BEN", "BJ", "Benin", "West Africa", "Bénin|Benín|Benim", "Beninese|béninois|béninoise|beninés|beninense"),
    ("BFA", "BF", "Burkina Faso", "West Africa", "Burkina", "Burkinabe|Burkinabè|burkinais|burkinaise|burquinês"),
    (
        "CPV",
        "CV",
        "Cabo Verde",
        "West Africa",
        "Cape Verde|Cap-Vert|Cabo Verde",
        "Cape Verdean|Cabo Verdean|cap-verdien|cap-verdienne|caboverdiano|caboverdiana|cabo-verdiano|cabo-verdiana",
    ),
    (
        "CIV",
        "CI",
        "Côte d'Ivoire",
        "West Africa",
        "Cote d'Ivoire|Cote dIvoire|Côte-d'Ivoire|Ivory Coast|Costa de Marfil|Costa do Marfim",
        "Ivorian|ivoirien|ivoirienne|marfileño|marfileña|marfinense",
    ),
    ("GMB", "GM", "Gambia", "West Africa", "The Gambia|Gambie|Gâmbia", "Gambian|gambien|gambienne|gambiano|gambiana"),
    ("GHA", "GH", "Ghana", "West Africa", "", "Ghanaian|ghanéen|ghanéenne|ghanés|ghanesa|ganês|ganesa|ganense"),
    (
        "GIN",
        "GN",
        "Guinea",
        "West Africa",
        "Guinée|Guiné|Guinea-Conakry|Guinée-Conakry|Guiné-Conacri|Republic of Guinea",
        "Guinean|guinéen|guinéenne|guineano|guineana",
    ),
    (
        "GNB",
        "GW",
        "Guinea-Bissau",
        "West Africa",
        "Guinée-Bissau|Guiné-Bissau",
        "Bissau-Guinean|bissau-guinéen|bissau-guinéenne|guineense",
    ),
    ("LBR", "LR", "Liberia", "West Africa", "Libéria", "Liberian|libérien|libérienne|liberiano|liberiana"),
    ("MLI", "ML", "Mali", "West Africa", "Malí", "Malian|malien|malienne|maliense|malinês"),
    (
        "MRT",
        "MR",
        "Mauritania",
        "West Africa",
        "Mauritanie|Mauritânia",
        "Mauritanian|mauritanien|mauritanienne|mauritano|mauritana",
    ),
    (
        "NER",
        "NE",
        "Niger",
        "West Africa",
        "Níger|Republic of Niger|République du Niger",
        "Nigerien|nigérien|nigérienne|nigerino|nigerina",
    ),
    (
        "NGA",
        "NG",
        "Nigeria",
        "West Africa",
        "Nigéria|Niger Delta|delta du Niger|delta del Níger|delta do Níger",
        "Nigerian|nigérian|nigériane|nigeriano|nigeriana",
    ),
    (
        "SEN",
        "SN",
        "Senegal",
        "West Africa",
        "Sénégal",
        "Senegalese|sénégalais|sénégalaise|senegalés|senegalesa|senegalês",
    ),
    (
        "SLE",
        "SL",
        "Sierra Leone",
        "West Africa",
        "Sierra Leona|Serra Leoa",
        "Sierra Leonean|sierra-léonais|sierra-léonaise|sierraleonés|sierraleonés|serra-leonês",
    ),
    ("TGO", "TG", "Togo", "West Africa", "", "Togolese|togolais|togolaise|togolés|togolesa|togolês"),
    # --- Central Africa
    (
        "CMR",
        "CM",
        "Cameroon",
        "Central Africa",
        "Cameroun|Camerún|Camarões",
        "Cameroonian|camerounais|camerounaise|camerunés|camerunesa|camaronês|camaronesa",
    ),
    (
        "CAF",
        "CF",
        "Central African Republic",
        "Central Africa",
        "République centrafricaine|Centrafrique|República Centroafricana|República Centro-Africana",
        "centrafricain|centrafricaine|centroafricano|centroafricana|centro-africano",
    ),
    ("TCD", "TD", "Chad", "Central Africa", "Tchad|Chade", "Chadian|tchadien|tchadienne|chadiano|chadiana"),
    (
        "COG",
        "CG",
        "Congo",
        "Central Africa",
        "Republic of the Congo|Republic of Congo|Congo-Brazzaville|Congo Brazzaville|République du Congo|"
        "República del Congo|República do Congo|Congo, Republic of the|Congo, Rep.",
        "",
    ),
    (
        "COD",
        "CD",
        "Democratic Republic of the Congo",
        "Central Africa",
        "Democratic Republic of Congo|DR Congo|DRC|D.R. Congo|DR of Congo|Congo-Kinshasa|Congo Kinshasa|"
        "République démocratique du Congo|RD Congo|RDC|RD du Congo|República Democrática del Congo|"
        "RD del Congo|República Democrática do Congo|RD do Congo|Zaire|Zaïre|Congo, Democratic Republic of the|"
        "Congo, Dem. Rep.|Congo DR",
        "",
    ),
    (
        "GNQ",
        "GQ",
        "Equatorial Guinea",
        "Central Africa",
        "Guinée équatoriale|Guinea Ecuatorial|Guiné Equatorial",
        "Equatorial Guinean|équato-guinéen|équato-guinéenne|ecuatoguineano|ecuatoguineana|equato-guineense",
    ),
    ("GAB", "GA", "Gabon", "Central Africa", "Gabón|Gabão", "Gabonese|gabonais|gabonaise|gabonés|gabonesa|gabonês"),
    (
        "STP",
        "ST",
        "Sao Tome and Principe",
        "Central Africa",
        "São Tomé and Príncipe|Sao Tomé-et-Principe|São Tomé-et-Príncipe|Santo Tomé y Príncipe|"
        "São Tomé e Príncipe|Sao Tome",
        "santomense|santoméen|santoméenne|santotomense",
    ),
    # --- East Africa
    ("BDI", "BI", "Burundi", "East Africa", "", "Burundian|burundais|burundaise|burundés|burundiano|burundiana"),
    ("COM", "KM", "Comoros", "East Africa", "Comores|Comoras|Union of the Comoros", "Comorian|comorien|comorienne"),
    ("DJI", "DJ", "Djibouti", "East Africa", "Yibuti|Djibuti|Jibuti", "Djiboutian|djiboutien|djiboutienne"),
    (
        "ERI",
        "ER",
        "Eritrea",
        "East Africa",
        "Érythrée|Eritreia",
        "Eritrean|érythréen|érythréenne|eritreo|eritrea|eritreu",
    ),
    ("ETH", "ET", "Ethiopia", "East Africa", "Éthiopie|Etiopía|Etiópia", "Ethiopian|éthiopien|éthiopienne|etíope"),
    (
        "KEN",
        "KE",
        "Kenya",
        "East Africa",
        "Kenia|Quénia|Quênia",
        "Kenyan|kényan|kényane|keniano|keniana|queniano|queniana",
    ),
    ("RWA", "RW", "Rwanda", "East Africa", "Ruanda", "Rwandan|rwandais|rwandaise|ruandés|ruandesa|ruandês"),
    ("SYC", "SC", "Seychelles", "East Africa", "Seicheles", "Seychellois|seychelloise|seychellense"),
    ("SOM", "SO", "Somalia", "East Africa", "Somalie|Somália", "Somali|somalien|somalienne|somalí|somaliano"),
    (
        "SSD",
        "SS",
        "South Sudan",
        "East Africa",
        "Soudan du Sud|Sud-Soudan|Sudán del Sur|Sudão do Sul",
        "South Sudanese|sud-soudanais|sud-soudanaise|sursudanés|sul-sudanês",
    ),
    (
        "TZA",
        "TZ",
        "Tanzania",
        "East Africa",
        "United Republic of Tanzania|Tanzanie|Tanzânia|République-Unie de Tanzanie|República Unida de Tanzania",
        "Tanzanian|tanzanien|tanzanienne|tanzano|tanzana|tanzaniano|tanzaniana",
    ),
    (
        "UGA",
        "UG",
        "Uganda",
        "East Africa",
        "Ouganda",
        "Ugandan|ougandais|ougandaise|ugandés|ugandesa|ugandense|ugandês",
    ),
    # --- Southern Africa
    ("AGO", "AO", "Angola", "Southern Africa", "", "Angolan|angolais|angolaise|angoleño|angoleña|angolano|angolana"),
    ("BWA", "BW", "Botswana", "Southern Africa", "Botsuana", "Botswanan|botswanais|botswanaise"),
    ("SWZ", "SZ", "Eswatini", "Southern Africa", "Swaziland|Esuatini|Suazilandia|Essuatíni|Suazilândia", "Swazi"),
    ("LSO", "LS", "Lesotho", "Southern Africa", "Lesoto", "Basotho"),
    ("MDG", "MG", "Madagascar", "Southern Africa", "Madagáscar", "Malagasy|Madagascan|malgache|malgaxe"),
    ("MWI", "MW", "Malawi", "Southern Africa", "Malaui", "Malawian|malawite|malawien|malawienne|malauí|malawiano"),
    (
        "MUS",
        "MU",
        "Mauritius",
        "Southern Africa",
        "Maurice|île Maurice|Mauricio|Maurícia|Maurício",
        "Mauritian|mauricien|mauricienne|mauriciano|mauriciana",
    ),
    (
        "MOZ",
        "MZ",
        "Mozambique",
        "Southern Africa",
        "Moçambique",
        "Mozambican|mozambicain|mozambicaine|mozambiqueño|mozambiqueña|moçambicano|moçambicana",
    ),
    (
        "NAM",
        "NA",
        "Namibia",
        "Southern Africa",
        "Namibie|Namíbia",
        "Namibian|namibien|namibienne|namibio|namibia|namibiano",
    ),
    (
        "ZAF",
        "ZA",
        "South Africa",
        "Southern Africa",
        "Afrique du Sud|Sudáfrica|África do Sul|Republic of South Africa",
        "South African|sud-africain|sud-africaine|sudafricano|sudafricana|sul-africano|sul-africana",
    ),
    ("ZMB", "ZM", "Zambia", "Southern Africa", "Zambie|Zâmbia", "Zambian|zambien|zambienne|zambiano|zambiana"),
    (
        "ZWE",
        "ZW",
        "Zimbabwe",
        "Southern Africa",
        "Zimbabue",
        "Zimbabwean|zimbabwéen|zimbabwéenne|zimbabuense|zimbabuano",
    ),
    # --- Arab States (Gulf, Levant, Iraq, Yemen)
    ("BHR", "BH", "Bahrain", "Arab States", "Bahreïn|Baréin|Bahrein|Barém", "Bahraini|bahreïni|bareiní"),
    ("IRQ", "IQ", "Iraq", "Arab States", "Irak|Iraque", "Iraqi|irakien|irakienne|iraquí|iraquiano|iraquiana"),
    (
        "JOR",
        "JO",
        "Jordan",
        "Arab States",
        "Jordanie|Jordania|Jordânia",
        "Jordanian|jordanien|jordanienne|jordano|jordana|jordaniano|jordaniana",
    ),
    ("KWT", "KW", "Kuwait", "Arab States", "Koweït|Kuweit|Coveite", "Kuwaiti|koweïtien|koweïtienne|kuwaití"),
    ("LBN", "LB", "Lebanon", "Arab States", "Liban|Líbano", "Lebanese|libanais|libanaise|libanés|libanesa|libanês"),
    ("OMN", "OM", "Oman", "Arab States", "Omán|Omã|Sultanate of Oman", "Omani|omanais|omanaise|omaní|omanense"),
    (
        "PSE",
        "PS",
        "Palestine",
        "Arab States",
        "State of Palestine|État de Palestine|Palestina|Estado de Palestina|"
        "Occupied Palestinian Territory|Territoire palestinien occupé",
        "Palestinian|palestinien|palestinienne|palestino|palestina|palestiniano|palestiniana",
    ),
    ("QAT", "QA", "Qatar", "Arab States", "Catar", "Qatari|qatarien|qatarienne|catarí|catariano"),
    (
        "SAU",
        "SA",
        "Saudi Arabia",
        "Arab States",
        "Arabie saoudite|Arabia Saudita|Arabia Saudí|Arábia Saudita|Saudi",
        "saoudien|saoudienne|saudí|saudita",
    ),
    (
        "SYR",
        "SY",
        "Syria",
        "Arab States",
        "Syrian Arab Republic|Syrie|Siria|Síria",
        "Syrian|syrien|syrienne|sirio|siria|sírio|síria",
    ),
    (
        "ARE",
        "AE",
        "United Arab Emirates",
        "Arab States",
        "UAE|=EAU|Emirates|Émirats arabes unis|Emiratos Árabes Unidos|Emirados Árabes Unidos",
        "Emirati|émirien",
    ),
    ("YEM", "YE", "Yemen", "Arab States", "Yémen|Iémen", "Yemeni|yéménite|yemení|iemenita"),
    # --- South Asia (Iran with it, as in UN M49 and UNDP's Asia-Pacific bureau)
    ("AFG", "AF", "Afghanistan", "South Asia", "Afganistán|Afeganistão", "Afghan|afghane|afgano|afgana|afegão|afegã"),
    ("BGD", "BD", "Bangladesh", "South Asia", "", "Bangladeshi|bangladais|bangladaise|bangladesí|bangladeshiano"),
    ("BTN", "BT", "Bhutan", "South Asia", "Bhoutan|Bután|Butão", "Bhutanese|bhoutanais|bhoutanaise|butanés"),
    ("IND", "IN", "India", "South Asia", "Inde|Índia", "Indian|indien|indienne|indiano"),
    (
        "IRN",
        "IR",
        "Iran",
        "South Asia",
        "Islamic Republic of Iran|Irán|Irã|Irão",
        "Iranian|iranien|iranienne|iraní|iraniano|iraniana",
    ),
    ("MDV", "MV", "Maldives", "South Asia", "Maldivas", "Maldivian|maldivien|maldivienne|maldivo|maldiva"),
    ("NPL", "NP", "Nepal", "South Asia", "Népal", "Nepali|Nepalese|népalais|népalaise|nepalí|nepalês"),
    (
        "PAK",
        "PK",
        "Pakistan",
        "South Asia",
        "Pakistán|Paquistão",
        "Pakistani|pakistanais|pakistanaise|pakistaní|paquistanês|paquistanesa",
    ),
    ("LKA", "LK", "Sri Lanka", "South Asia", "Ceylon", "Sri Lankan|sri-lankais|sri-lankaise|srilanqués|cingalês"),
    # --- South-East Asia
    ("BRN", "BN", "Brunei Darussalam", "South-East Asia", "Brunei|Brunéi|Brunei Darussalam", "Bruneian|brunéien"),
    (
        "KHM",
        "KH",
        "Cambodia",
        "South-East Asia",
        "Cambodge|Camboya|Camboja",
        "Cambodian|cambodgien|cambodgienne|camboyano|camboyana|cambojano|cambojana",
    ),
    (
        "IDN",
        "ID",
        "Indonesia",
        "South-East Asia",
        "Indonésie|Indonésia",
        "Indonesian|indonésien|indonésienne|indonesio|indonesia|indonésio|indonésia",
    ),
    (
        "LAO",
        "LA",
        "Lao People's Democratic Republic",
        "South-East Asia",
        "Laos|Lao PDR|Lao",
        "Laotian|laotien|laotienne|laosiano|laosiana",
    ),
    (
        "MYS",
        "MY",
        "Malaysia",
        "South-East Asia",
        "Malaisie|Malasia|Malásia",
        "Malaysian|malaisien|malaisienne|malasio|malasia|malaio|malaia",
    ),
    (
        "MMR",
        "MM",
        "Myanmar",
        "South-East Asia",
        "Burma|Birmanie|Birmania|Birmânia",
        "Burmese|birman|birmane|birmano|birmana|birmanês",
    ),
    ("PHL", "PH", "Philippines", "South-East Asia", "Filipinas", "Filipino|Filipina|Philippine|philippin|philippine"),
    (
        "SGP",
        "SG",
        "Singapore",
        "South-East Asia",
        "Singapour|Singapur|Singapura",
        "Singaporean|singapourien|singapourienne|singapurense",
    ),
    (
        "THA",
        "TH",
        "Thailand",
        "South-East Asia",
        "Thaïlande|Tailandia|Tailândia",
        "Thai|thaïlandais|thaïlandaise|tailandés|tailandesa|tailandês",
    ),
    (
        "TLS",
        "TL",
        "Timor-Leste",
        "South-East Asia",
        "East Timor|Timor oriental|Timor-Oriental|Timor Leste",
        "Timorese|timorais|timorense",
    ),
    (
        "VNM",
        "VN",
        "Viet Nam",
        "South-East Asia",
        "Vietnam|Vietnã|Vietname|Việt Nam",
        "Vietnamese|vietnamien|vietnamienne|vietnamita",
    ),
    # --- East Asia
    (
        "CHN",
        "CN",
        "China",
        "East Asia",
        "Chine|People's Republic of China|République populaire de Chine",
        "Chinese|chinois|chinoise|chino|china|chinês|chinesa",
    ),
    ("MNG", "MN", "Mongolia", "East Asia", "Mongolie|Mongólia", "Mongolian"),
    (
        "PRK",
        "KP",
        "Democratic People's Republic of Korea",
        "East Asia",
        "North Korea|DPRK|Corée du Nord|Corea del Norte|Coreia do Norte",
        "North Korean|nord-coréen",
    ),
    (
        "KOR",
        "KR",
        "Republic of Korea",
        "East Asia",
        "South Korea|Korea|Corée du Sud|Corée|République de Corée|Corea del Sur|Corea|República de Corea|"
        "Coreia do Sul|Coreia|República da Coreia",
        "South Korean|sud-coréen|sud-coréenne|surcoreano|sul-coreano",
    ),
    ("JPN", "JP", "Japan", "East Asia", "Japon|Japón|Japão", "Japanese|japonais|japonaise|japonés|japonês"),
    # --- Central Asia (with the South Caucasus, as UNDP's Europe and Central Asia bureau does)
    ("KAZ", "KZ", "Kazakhstan", "Central Asia", "Kazajistán|Kazajstán|Cazaquistão", "Kazakh|kazakh|kazajo|cazaque"),
    (
        "KGZ",
        "KG",
        "Kyrgyzstan",
        "Central Asia",
        "Kyrgyz Republic|Kirghizistan|Kirguistán|Quirguistão|Quirguizistão",
        "Kyrgyz|kirghize|kirguís|quirguiz",
    ),
    ("TJK", "TJ", "Tajikistan", "Central Asia", "Tadjikistan|Tayikistán|Tajiquistão", "Tajik|tadjik|tayiko|tajique"),
    (
        "TKM",
        "TM",
        "Turkmenistan",
        "Central Asia",
        "Turkménistan|Turkmenistán|Turcomenistão|Turquemenistão",
        "Turkmen|turkmène|turcomano",
    ),
    (
        "UZB",
        "UZ",
        "Uzbekistan",
        "Central Asia",
        "Ouzbékistan|Uzbekistán|Usbequistão|Uzbequistão",
        "Uzbek|ouzbek|ouzbèke|uzbeko|uzbeka|usbeque|uzbeque",
    ),
    ("ARM", "AM", "Armenia", "Central Asia", "Arménie|Armênia|Arménia", "Armenian|arménien|arménienne|armenio|armênio"),
    (
        "AZE",
        "AZ",
        "Azerbaijan",
        "Central Asia",
        "Azerbaïdjan|Azerbaiyán|Azerbaijão",
        "Azerbaijani|azerbaïdjanais|azerbaiyano|azerbaijano",
    ),
    ("GEO", "GE", "Georgia", "Central Asia", "Géorgie|Geórgia", "Georgian|géorgien|géorgienne|georgiano|georgiana"),
    # --- Pacific
    ("AUS", "AU", "Australia", "Pacific", "Australie|Austrália", "Australian|australien|australienne|australiano"),
    (
        "NZL",
        "NZ",
        "New Zealand",
        "Pacific",
        "Nouvelle-Zélande|Nueva Zelanda|Nova Zelândia|Aotearoa",
        "New Zealander|néo-zélandais|neozelandés|neozelandês",
    ),
    ("FJI", "FJ", "Fiji", "Pacific", "Fidji|Fiyi", "Fijian|fidjien|fidjienne|fiyiano|fijiano"),
    (
        "PNG",
        "PG",
        "Papua New Guinea",
        "Pacific",
        "Papouasie-Nouvelle-Guinée|Papúa Nueva Guinea|Papua-Nova Guiné|Papua Nova Guiné",
        "Papua New Guinean|papouan-néo-guinéen|papú|papuásio",
    ),
    (
        "SLB",
        "SB",
        "Solomon Islands",
        "Pacific",
        "Îles Salomon|Islas Salomón|Ilhas Salomão|Solomons",
        "Solomon Islander",
    ),
    ("VUT", "VU", "Vanuatu", "Pacific", "", "Ni-Vanuatu|vanuatais"),
    ("WSM", "WS", "Samoa", "Pacific", "", "Samoan|samoan|samoano"),
    ("TON", "TO", "Tonga", "Pacific", "", "Tongan|tongien|tongano"),
    ("KIR", "KI", "Kiribati", "Pacific", "Quiribáti", "I-Kiribati"),
    ("TUV", "TV", "Tuvalu", "Pacific", "", "Tuvaluan"),
    ("NRU", "NR", "Nauru", "Pacific", "", "Nauruan"),
    (
        "FSM",
        "FM",
        "Micronesia",
        "Pacific",
        "Federated States of Micronesia|Micronésie|Micronesia|Micronésia|"
        "États fédérés de Micronésie|Estados Federados de Micronesia",
        "Micronesian",
    ),
    ("MHL", "MH", "Marshall Islands", "Pacific", "Îles Marshall|Islas Marshall|Ilhas Marshall", "Marshallese"),
    ("PLW", "PW", "Palau", "Pacific", "Palaos", "Palauan"),
    ("COK", "CK", "Cook Islands", "Pacific", "Îles Cook|Islas Cook|Ilhas Cook", ""),
    ("NIU", "NU", "Niue", "Pacific", "Niué", "Niuean"),
    # --- Latin America
    ("ARG", "AR", "Argentina", "Latin America", "Argentine", "Argentinian|argentin|argentine|argentino|argentina"),
    (
        "BOL",
        "BO",
        "Bolivia",
        "Latin America",
        "Plurinational State of Bolivia|Bolivie|Bolívia",
        "Bolivian|bolivien|bolivienne|boliviano|boliviana",
    ),
    (
        "BRA",
        "BR",
        "Brazil",
        "Latin America",
        "Brésil|Brasil",
        "Brazilian|brésilien|brésilienne|brasileño|brasileña|brasileiro|brasileira",
    ),
    ("CHL", "CL", "Chile", "Latin America", "le Chili|au Chili|du Chili", "Chilean|chilien|chilienne|chileno|chilena"),
    (
        "COL",
        "CO",
        "Colombia",
        "Latin America",
        "Colombie|Colômbia",
        "Colombian|colombien|colombienne|colombiano|colombiana",
    ),
    (
        "CRI",
        "CR",
        "Costa Rica",
        "Latin America",
        "",
        "Costa Rican|costaricien|costaricienne|costarricense|costarriquenho",
    ),
    (
        "ECU",
        "EC",
        "Ecuador",
        "Latin America",
        "Équateur|Equador",
        "Ecuadorian|équatorien|équatorienne|ecuatoriano|ecuatoriana|equatoriano|equatoriana",
    ),
    (
        "SLV",
        "SV",
        "El Salvador",
        "Latin America",
        "le Salvador|au Salvador|du Salvador",
        "Salvadoran|Salvadorian|salvadorien|salvadorienne|salvadoreño|salvadoreña|salvadorenho|salvadorenha",
    ),
    ("GTM", "GT", "Guatemala", "Latin America", "", "Guatemalan|guatémaltèque|guatemalteco|guatemalteca"),
    ("HND", "HN", "Honduras", "Latin America", "", "Honduran|hondurien|hondurienne|hondureño|hondureña|hondurenho"),
    ("MEX", "MX", "Mexico", "Latin America", "Mexique|México|Méjico", "Mexican|mexicain|mexicaine|mexicano|mexicana"),
    ("NIC", "NI", "Nicaragua", "Latin America", "", "Nicaraguan|nicaraguayen|nicaraguayenne|nicaragüense"),
    ("PAN", "PA", "Panama", "Latin America", "Panamá", "Panamanian|panaméen|panaméenne|panameño|panameña|panamenho"),
    (
        "PRY",
        "PY",
        "Paraguay",
        "Latin America",
        "Paraguai",
        "Paraguayan|paraguayen|paraguayenne|paraguayo|paraguaya|paraguaio|paraguaia",
    ),
    ("PER", "PE", "Peru", "Latin America", "Pérou|Perú", "Peruvian|péruvien|péruvienne|peruano|peruana"),
    (
        "URY",
        "UY",
        "Uruguay",
        "Latin America",
        "Uruguai",
        "Uruguayan|uruguayen|uruguayenne|uruguayo|uruguaya|uruguaio|uruguaia",
    ),
    (
        "VEN",
        "VE",
        "Venezuela",
        "Latin America",
        "Bolivarian Republic of Venezuela",
        "Venezuelan|vénézuélien|vénézuélienne|venezolano|venezolana|venezuelano|venezuelana",
    ),
    # --- Caribbean (Belize, Guyana and Suriname with it: CARICOM members, programmed as Caribbean)
    ("ATG", "AG", "Antigua and Barbuda", "Caribbean", "Antigua-et-Barbuda|Antigua y Barbuda|Antígua e Barbuda", ""),
    ("BHS", "BS", "Bahamas", "Caribbean", "The Bahamas", "Bahamian"),
    ("BRB", "BB", "Barbados", "Caribbean", "Barbade", "Barbadian|barbadien"),
    ("BLZ", "BZ", "Belize", "Caribbean", "Belice", "Belizean|bélizien|beliceño"),
    ("CUB", "CU", "Cuba", "Caribbean", "", "Cuban|cubain|cubaine|cubano|cubana"),
    ("DMA", "DM", "Dominica", "Caribbean", "la Dominique|Commonwealth of Dominica", ""),
    ("DOM", "DO", "Dominican Republic", "Caribbean", "République dominicaine|República Dominicana", ""),
    ("GRD", "GD", "Grenada", "Caribbean", "la Grenade", ""),
    ("GUY", "GY", "Guyana", "Caribbean", "Guiana", "Guyanese"),
    ("HTI", "HT", "Haiti", "Caribbean", "Haïti|Haití", "Haitian|haïtien|haïtienne|haitiano|haitiana"),
    ("JAM", "JM", "Jamaica", "Caribbean", "Jamaïque", "Jamaican|jamaïcain|jamaïcaine|jamaicano|jamaicana"),
    (
        "KNA",
        "KN",
        "Saint Kitts and Nevis",
        "Caribbean",
        "St Kitts and Nevis|Saint-Christophe-et-Niévès|San Cristóbal y Nieves|São Cristóvão e Névis",
        "",
    ),
    ("LCA", "LC", "Saint Lucia", "Caribbean", "St Lucia|Sainte-Lucie|Santa Lucía|Santa Lúcia", ""),
    (
        "VCT",
        "VC",
        "Saint Vincent and the Grenadines",
        "Caribbean",
        "St Vincent and the Grenadines|Saint-Vincent-et-les-Grenadines|San Vicente y las Granadinas|"
        "São Vicente e Granadinas",
        "",
    ),
    ("SUR", "SR", "Suriname", "Caribbean", "Surinam", "Surinamese|surinamais"),
    (
        "TTO",
        "TT",
        "Trinidad and Tobago",
        "Caribbean",
        "Trinité-et-Tobago|Trinidad y Tobago|Trinidad e Tobago|Trinidad",
        "Trinidadian",
    ),
    # --- North America
    (
        "USA",
        "US",
        "United States",
        "North America",
        "United States of America|=USA|=US|=U.S.|=U.S.A.|États-Unis|Estados Unidos|EE. UU.|EEUU|EUA|"
        "Estados Unidos da América",
        "américain|américaine|estadounidense|norte-americano",
    ),
    ("CAN", "CA", "Canada", "North America", "Canadá", "Canadian|canadien|canadienne|canadiense|canadense"),
    # --- Europe (Israel too: it sits with Western Europe in the UN's regional groups)
    ("ALB", "AL", "Albania", "Europe", "Albanie|Albânia", ""),
    ("AND", "AD", "Andorra", "Europe", "Andorre", ""),
    ("AUT", "AT", "Austria", "Europe", "Autriche|Áustria", "Austrian|autrichien"),
    ("BEL", "BE", "Belgium", "Europe", "Belgique|Bélgica", "Belgian|belge"),
    ("BGR", "BG", "Bulgaria", "Europe", "Bulgarie|Bulgária", ""),
    (
        "BIH",
        "BA",
        "Bosnia and Herzegovina",
        "Europe",
        "Bosnia|Bosnie-Herzégovine|Bosnia y Herzegovina|Bósnia e Herzegovina",
        "",
    ),
    ("BLR", "BY", "Belarus", "Europe", "Biélorussie|Bélarus|Bielorrusia|Bielorrússia", ""),
    ("CHE", "CH", "Switzerland", "Europe", "Suisse|Suiza|Suíça", "Swiss|suisse"),
    ("CYP", "CY", "Cyprus", "Europe", "Chypre|Chipre", ""),
    (
        "CZE",
        "CZ",
        "Czechia",
        "Europe",
        "Czech Republic|Tchéquie|République tchèque|Chequia|República Checa|Tchéquia|República Tcheca",
        "",
    ),
    ("DEU", "DE", "Germany", "Europe", "Allemagne|Alemania|Alemanha", ""),
    ("DNK", "DK", "Denmark", "Europe", "Danemark|Dinamarca", "Danish|danois"),
    ("ESP", "ES", "Spain", "Europe", "Espagne|España|Espanha", ""),
    ("EST", "EE", "Estonia", "Europe", "Estonie|Estônia|Estónia", ""),
    ("FIN", "FI", "Finland", "Europe", "Finlande|Finlandia|Finlândia", "Finnish|finlandais"),
    ("FRA", "FR", "France", "Europe", "Francia|França", ""),
    (
        "GBR",
        "GB",
        "United Kingdom",
        "Europe",
        "UK|U.K.|Great Britain|Britain|Royaume-Uni|Grande-Bretagne|Reino Unido|Gran Bretaña|Grã-Bretanha",
        "British|britannique|británico|britânico",
    ),
    ("GRC", "GR", "Greece", "Europe", "Grèce|Grecia|Grécia", ""),
    ("HRV", "HR", "Croatia", "Europe", "Croatie|Croacia|Croácia", ""),
    ("HUN", "HU", "Hungary", "Europe", "Hongrie|Hungría|Hungria", ""),
    ("IRL", "IE", "Ireland", "Europe", "Irlande|Irlanda", "Irish|irlandais"),
    ("ISL", "IS", "Iceland", "Europe", "Islande|Islandia|Islândia", ""),
    ("ITA", "IT", "Italy", "Europe", "Italie|Italia|Itália", ""),
    ("LIE", "LI", "Liechtenstein", "Europe", "", ""),
    ("LTU", "LT", "Lithuania", "Europe", "Lituanie|Lituania|Lituânia", ""),
    ("LUX", "LU", "Luxembourg", "Europe", "Luxemburgo", "Luxembourgish|luxembourgeois"),
    ("LVA", "LV", "Latvia", "Europe", "Lettonie|Letonia|Letônia|Letónia", ""),
    ("MCO", "MC", "Monaco", "Europe", "Mónaco", ""),
    ("MDA", "MD", "Moldova", "Europe", "Republic of Moldova|Moldavie|Moldavia|Moldávia", ""),
    (
        "MKD",
        "MK",
        "North Macedonia",
        "Europe",
        "Macedonia|Macédoine du Nord|Macédoine|Macedonia del Norte|Macedônia do Norte|Macedónia do Norte",
        "",
    ),
    ("MLT", "MT", "Malta", "Europe", "Malte", ""),
    ("MNE", "ME", "Montenegro", "Europe", "Monténégro", ""),
    ("NLD", "NL", "Netherlands", "Europe", "Holland|the Netherlands|Pays-Bas|Países Bajos|Países Baixos|Holanda", ""),
    ("NOR", "NO", "Norway", "Europe", "Norvège|Noruega", "Norwegian|norvégien|noruego|norueguês"),
    ("POL", "PL", "Poland", "Europe", "Pologne|Polonia|Polônia|Polónia", ""),
    ("PRT", "PT", "Portugal", "Europe", "", ""),
    ("ROU", "RO", "Romania", "Europe", "Roumanie|Rumania|Rumanía|Romênia|Roménia", ""),
    ("RUS", "RU", "Russian Federation", "Europe", "Russia|Russie|Rusia|Rússia|Federación de Rusia|Federação Russa", ""),
    ("SMR", "SM", "San Marino", "Europe", "Saint-Marin", ""),
    ("SRB", "RS", "Serbia", "Europe", "Serbie|Sérvia", ""),
    ("SVK", "SK", "Slovakia", "Europe", "Slovaquie|Eslovaquia|Eslováquia", ""),
    ("SVN", "SI", "Slovenia", "Europe", "Slovénie|Eslovenia|Eslovênia|Eslovénia", ""),
    ("SWE", "SE", "Sweden", "Europe", "Suède|Suecia|Suécia", "Swedish|suédois|sueco"),
    ("TUR", "TR", "Türkiye", "Europe", "Turkey|Turquie|Turquía|Turquia", "Turkish|turc|turque|turco"),
    ("UKR", "UA", "Ukraine", "Europe", "Ucrania|Ucrânia", "Ukrainian|ukrainien|ucraniano"),
    ("VAT", "VA", "Holy See", "Europe", "Vatican|Saint-Siège|Santa Sede|Vaticano", ""),
    ("XKX", "XK", "Kosovo", "Europe", "", ""),
    ("ISR", "IL", "Israel", "Europe", "Israël", "Israeli|israélien|israelí|israelense"),
)

# Phrases that contain a place name but do not mean that place; matching them first (they are
# longer) stops "Indian Ocean" from being India and "Gulf of Guinea" from being Guinea.
_NOT_A_PLACE: tuple[str, ...] = (
    "Indian Ocean",
    "océan Indien",
    "océano Índico",
    "oceano Índico",
    "Gulf of Guinea",
    "golfe de Guinée",
    "golfo de Guinea",
    "golfo da Guiné",
    "New Guinea",
    "Nouvelle-Guinée",
    "Nueva Guinea",
    "Nova Guiné",
    "guinea pig",
    "guinea pigs",
    "guinea fowl",
    "Niger River",
    "River Niger",
    "fleuve Niger",
    "río Níger",
    "rio Níger",
    "Congo Basin",
    "bassin du Congo",
    "cuenca del Congo",
    "bacia do Congo",
    "Congo River",
    "fleuve Congo",
    "río Congo",
    "rio Congo",
    "New Mexico",
    "Nuevo México",
    "Novo México",
    "Pacific Alliance",
    "Alliance du Pacifique",
    "Alianza del Pacífico",
    "Aliança do Pacífico",
    "West Indies",
    "American Samoa",
    "Guyane française",
    "French Guiana",
)

# Region name -> aliases in en/fr/es/pt (the name itself is always an alias).
_REGION_ALIASES: dict[str, tuple[str, ...]] = {
    "East Africa": (
        "Eastern Africa",
        "East African",
        "Afrique de l'Est",
        "Afrique orientale",
        "est-africain",
        "África Oriental",
        "África del Este",
        "África do Leste",
        "Leste da África",
        "Leste de África",
    ),
    "West Africa": (
        "Western Africa",
        "West African",
        "Afrique de l'Ouest",
        "Afrique occidentale",
        "ouest-africain",
        "ouest-africaine",
        "ouest-africains",
        "ouest-africaines",
        "África Occidental",
        "África del Oeste",
        "África Ocidental",
        "África do Oeste",
        "Oeste da África",
        "ECOWAS",
        "CEDEAO",
    ),
    "Central Africa": ("Central African", "Afrique centrale", "África Central"),
    "Southern Africa": ("Southern African", "Afrique australe", "África Austral", "África meridional"),
    "North Africa": (
        "Northern Africa",
        "North African",
        "Afrique du Nord",
        "Afrique septentrionale",
        "nord-africain",
        "África del Norte",
        "Norte de África",
        "África do Norte",
        "Norte da África",
    ),
    "Arab States": (
        "Arab region",
        "Arab world",
        "Arab countries",
        "Arab states region",
        "États arabes",
        "pays arabes",
        "monde arabe",
        "région arabe",
        "Estados Árabes",
        "países árabes",
        "mundo árabe",
        "región árabe",
        "região árabe",
    ),
    "South Asia": (
        "Southern Asia",
        "Asie du Sud",
        "Asie méridionale",
        "Asia del Sur",
        "Asia Meridional",
        "Sur de Asia",
        "Sul da Ásia",
        "Ásia do Sul",
        "Ásia Meridional",
    ),
    "South-East Asia": (
        "Southeast Asia",
        "South East Asia",
        "Asie du Sud-Est",
        "Sudeste Asiático",
        "Sureste Asiático",
        "Asia Sudoriental",
        "Sudeste de Asia",
        "Sudeste da Ásia",
        "ASEAN",
    ),
    "East Asia": (
        "Eastern Asia",
        "Asie de l'Est",
        "Asie orientale",
        "Asia Oriental",
        "Asia del Este",
        "Ásia Oriental",
        "Leste Asiático",
        "Ásia do Leste",
    ),
    "Pacific": (
        "Pacific Islands",
        "Pacific Island countries",
        "South Pacific",
        "Pacifique",
        "îles du Pacifique",
        "Pacifique Sud",
        "Pacífico",
        "islas del Pacífico",
        "Pacífico Sur",
        "ilhas do Pacífico",
        "Pacífico Sul",
        "Oceania",
        "Océanie",
        "Oceanía",
    ),
    "Latin America": (
        "Latin American",
        "South American",
        "Central American",
        "Amérique latine",
        "latino-américain",
        "latino-américaine",
        "América Latina",
        "Latinoamérica",
        "latinoamericano",
        "latinoamericana",
        "latino-americano",
        "latino-americana",
        "South America",
        "Amérique du Sud",
        "América del Sur",
        "Sudamérica",
        "Suramérica",
        "América do Sul",
        "Central America",
        "Amérique centrale",
        "Centroamérica",
        "América Central",
    ),
    "Caribbean": (
        "Caribbean islands",
        "Caraïbes",
        "Caraïbe",
        "Caribe",
        "caribéen",
        "caribeño",
        "caribenho",
        "Antilles",
        "Antillas",
        "Antilhas",
    ),
    "Central Asia": (
        "Asie centrale",
        "Asia Central",
        "Ásia Central",
        "South Caucasus",
        "Caucase du Sud",
        "Cáucaso Sur",
        "Cáucaso do Sul",
    ),
    "Europe": ("Europa",),
    "North America": ("North American", "Amérique du Nord", "América del Norte", "Norteamérica", "América do Norte"),
    "Sahel": (
        "Sahelian",
        "sahélien",
        "sahélienne",
        "sahéliens",
        "sahéliennes",
        "saheliano",
        "saheliana",
        "sahelianos",
        "G5 Sahel",
        "Sahel region",
    ),
    "Horn of Africa": (
        "Corne de l'Afrique",
        "Cuerno de África",
        "Chifre da África",
        "Chifre de África",
        "Corno de África",
        "Corno da África",
    ),
    "Great Lakes": (
        "Great Lakes region",
        "African Great Lakes",
        "Grands Lacs",
        "région des Grands Lacs",
        "Grandes Lagos",
        "Grandes Lagos africanos",
        "región de los Grandes Lagos",
        "região dos Grandes Lagos",
    ),
    "Sub-Saharan Africa": (
        "Subsaharan Africa",
        "sub-Saharan",
        "Afrique subsaharienne",
        "Afrique sub-saharienne",
        "Afrique au sud du Sahara",
        "África subsahariana",
        "África Subsaariana",
        "África ao sul do Saara",
    ),
    "Africa": (
        "African",
        "African countries",
        "Afrique",
        "africain",
        "africaine",
        "africains",
        "africaines",
        "África",
        "africano",
        "africana",
        "africanos",
        "africanas",
    ),
    "Asia": ("Asian", "Asie", "asiatique", "asiatiques", "Ásia", "asiático", "asiática", "asiáticos"),
    "Asia-Pacific": (
        "Asia Pacific",
        "Asia and the Pacific",
        "Asie-Pacifique",
        "Asie et Pacifique",
        "Asie et le Pacifique",
        "Asia-Pacífico",
        "Asia y el Pacífico",
        "Ásia-Pacífico",
        "Ásia e Pacífico",
        "Ásia e o Pacífico",
    ),
    "Latin America and the Caribbean": (
        "Latin America and Caribbean",
        "Latin America & the Caribbean",
        "Latin America & Caribbean",
        "=LAC",
        "Amérique latine et Caraïbes",
        "Amérique latine et les Caraïbes",
        "América Latina y el Caribe",
        "América Latina e Caribe",
        "América Latina e o Caribe",
    ),
    "Middle East and North Africa": (
        "MENA",
        "Middle East",
        "Moyen-Orient et Afrique du Nord",
        "Moyen-Orient",
        "Proche-Orient",
        "Oriente Medio y Norte de África",
        "Oriente Medio",
        "Oriente Próximo",
        "Medio Oriente",
        "Oriente Médio e Norte da África",
        "Oriente Médio",
        "Médio Oriente",
    ),
    "Global South": (
        "Sud global",
        "Sud Global",
        "pays du Sud",
        "Sur Global",
        "países del Sur",
        "Sul Global",
        "países do Sul",
    ),
}

_SAHEL = frozenset({"SEN", "MRT", "MLI", "BFA", "NER", "TCD", "SDN", "ERI", "GMB"})
# The core Horn; IGAD's "Greater Horn" adds Kenya, Sudan, South Sudan and Uganda.
_HORN = frozenset({"DJI", "ERI", "ETH", "SOM"})
_GREAT_LAKES = frozenset({"BDI", "COD", "KEN", "RWA", "TZA", "UGA"})
# The 22 members of the League of Arab States: "Arab States" as a user means it, wider than the
# primary region of that name (which leaves North Africa and the Horn to their African regions).
_ARAB_LEAGUE = frozenset(
    {
        "DZA",
        "BHR",
        "COM",
        "DJI",
        "EGY",
        "IRQ",
        "JOR",
        "KWT",
        "LBN",
        "LBY",
        "MRT",
        "MAR",
        "OMN",
        "PSE",
        "QAT",
        "SAU",
        "SOM",
        "SDN",
        "SYR",
        "TUN",
        "ARE",
        "YEM",
    }
)


# --------------------------------------------------------------------------------------------
# Types and tables built from the data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    iso3: str
    name: str
    names: tuple[str, ...]
    region: str
    global_south: bool
    iso2: str = ""


@dataclass(frozen=True)
class Region:
    name: str
    aliases: tuple[str, ...]
    members: frozenset[str]


@dataclass
class PlaceMatch:
    countries: list[str]
    regions: list[str]
    spans: list[tuple[int, int]]


def _split(field: str) -> list[str]:
    return [part.strip() for part in field.split("|") if part.strip()]


def _plurals(demonym: str) -> list[str]:
    """The demonym and its likely plurals (en/fr/es/pt): -s, -es after s/x ("sénégalais" ->
    "sénégalaises", "senegalés" -> "senegaleses"), both after i ("marroquí" -> "marroquíes")."""
    if demonym.endswith(("s", "x", "S", "X")):
        return [demonym, demonym + "es"]
    if demonym.endswith(("z", "Z")):
        return [demonym]
    if fold(demonym).endswith("i"):
        return [demonym, demonym + "s", demonym + "es"]
    return [demonym, demonym + "s"]


def _is_north(iso3: str, region: str) -> bool:
    return region in ("Europe", "North America") or iso3 in _NORTH_OUTSIDE_EUROPE_AND_NORTH_AMERICA


def _build_countries() -> dict[str, Country]:
    countries: dict[str, Country] = {}
    for iso3, iso2, name, region, others, demonyms in _COUNTRY_ROWS:
        names = [name] + _split(others) + [form for d in _split(demonyms) for form in _plurals(d)]
        # Keep the first spelling of each folded form, without the case-sensitivity marker.
        seen: dict[str, str] = {}
        for alias in names:
            seen.setdefault(normalise(alias), alias.lstrip("="))
        countries[iso3] = Country(
            iso3=iso3,
            name=name,
            names=tuple(seen.values()),
            region=region,
            global_south=not _is_north(iso3, region),
            iso2=iso2,
        )
    return countries


COUNTRIES: dict[str, Country] = _build_countries()

_ISO2: dict[str, str] = {c.iso2: c.iso3 for c in COUNTRIES.values()}


def _members_of(*regions: str) -> frozenset[str]:
    return frozenset(c.iso3 for c in COUNTRIES.values() if c.region in regions)


def _build_regions() -> dict[str, Region]:
    africa = ("East Africa", "West Africa", "Central Africa", "Southern Africa", "North Africa")
    members: dict[str, frozenset[str]] = {name: _members_of(name) for name in PRIMARY_REGIONS}
    members["Arab States"] = _ARAB_LEAGUE
    members.update(
        {
            "Sahel": _SAHEL,
            "Horn of Africa": _HORN,
            "Great Lakes": _GREAT_LAKES,
            # Sudan counts as Sub-Saharan, as the World Bank and AfDB do.
            "Sub-Saharan Africa": _members_of(*africa) - {"DZA", "EGY", "LBY", "MAR", "TUN"},
            "Africa": _members_of(*africa),
            "Asia": _members_of("South Asia", "South-East Asia", "East Asia", "Central Asia", "Arab States"),
            "Asia-Pacific": _members_of("South Asia", "South-East Asia", "East Asia", "Pacific"),
            "Latin America and the Caribbean": _members_of("Latin America", "Caribbean"),
            "Middle East and North Africa": _members_of("North Africa", "Arab States") | {"IRN", "ISR"},
            "Global South": frozenset(c.iso3 for c in COUNTRIES.values() if c.global_south),
        }
    )
    return {
        name: Region(name=name, aliases=(name,) + tuple(a.lstrip("=") for a in aliases), members=members[name])
        for name, aliases in _REGION_ALIASES.items()
    }


REGIONS: dict[str, Region] = _build_regions()


# --------------------------------------------------------------------------------------------
# Alias index for free-text matching
# --------------------------------------------------------------------------------------------

_Kind = Literal["country", "region", "none"]


@dataclass(frozen=True)
class _Target:
    kind: _Kind
    key: str
    upper_only: bool


def _alias_entries() -> Iterable[tuple[str, _Target]]:
    for row in _COUNTRY_ROWS:
        iso3, _, name, _, others, demonyms = row
        for alias in [name] + _split(others):
            yield alias.lstrip("="), _Target("country", iso3, alias.startswith("="))
        for demonym in _split(demonyms):
            for form in _plurals(demonym):
                yield form, _Target("country", iso3, False)
    for name, aliases in _REGION_ALIASES.items():
        for alias in (name,) + aliases:
            yield alias.lstrip("="), _Target("region", name, alias.startswith("="))
    for phrase in _NOT_A_PLACE:
        yield phrase, _Target("none", "", False)


def _build_alias_index() -> dict[tuple[str, ...], list[_Target]]:
    index: dict[tuple[str, ...], list[_Target]] = {}
    for alias, target in _alias_entries():
        key = tuple(normalise(alias).split())
        targets = index.setdefault(key, [])
        clash = [t for t in targets if (t.kind, t.key) != (target.kind, target.key)]
        if clash:
            # An alias naming two places would make answers depend on table order: fail at import.
            raise ValueError(f"alias {alias!r} names both {clash[0].key!r} and {target.key!r}")
        if target not in targets:
            targets.append(target)
    return index


_ALIAS_INDEX: dict[tuple[str, ...], list[_Target]] = _build_alias_index()
_MAX_ALIAS_TOKENS: int = max(len(k) for k in _ALIAS_INDEX)


def _target_at(tokens: list[Token], text: str, start: int, length: int) -> _Target | None:
    key = tuple(t.text for t in tokens[start : start + length])
    for target in _ALIAS_INDEX.get(key, ()):
        if target.upper_only and not all(text[t.start : t.end].isupper() for t in tokens[start : start + length]):
            continue
        return target
    return None


def _candidate_matches(tokens: list[Token], text: str) -> list[tuple[int, int, _Target]]:
    found = []
    for start in range(len(tokens)):
        for length in range(1, min(_MAX_ALIAS_TOKENS, len(tokens) - start) + 1):
            target = _target_at(tokens, text, start, length)
            if target is not None:
                found.append((start, length, target))
    return found


def _longest_first(candidates: list[tuple[int, int, _Target]]) -> list[tuple[int, int, _Target]]:
    """Non-overlapping matches, longer ones winning, returned in text order."""
    taken: set[int] = set()
    kept = []
    for start, length, target in sorted(candidates, key=lambda c: (-c[1], c[0])):
        span = set(range(start, start + length))
        if span & taken:
            continue
        taken |= span
        kept.append((start, length, target))
    return sorted(kept, key=lambda c: c[0])


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def find_places(text: str) -> PlaceMatch:
    """Countries (ISO3) and region names mentioned in `text`, each once, in order of appearance.

    Regions are returned by name, not expanded: use REGIONS[name].members for that.
    """
    tokens = tokenise(text)
    match = PlaceMatch(countries=[], regions=[], spans=[])
    for start, length, target in _longest_first(_candidate_matches(tokens, text)):
        if target.kind == "none":
            continue
        match.spans.append((tokens[start].start, tokens[start + length - 1].end))
        found = match.countries if target.kind == "country" else match.regions
        if target.key not in found:
            found.append(target.key)
    return match


def region_of(iso3: str) -> str | None:
    """Primary region of a country code (any case), or None if unknown."""
    country = COUNTRIES.get(iso3.strip().upper()) if isinstance(iso3, str) else None
    return country.region if country else None


def country_code(name_or_code: str) -> str | None:
    """ISO3 code from an ISO3 or ISO2 code or any name, alias or demonym; None if not a country.

    Formal names with extra words ("Bolivia (Plurinational State of)") resolve when they name
    exactly one country.
    """
    if not isinstance(name_or_code, str) or not name_or_code.strip():
        return None
    raw = name_or_code.strip()
    if raw.upper() in COUNTRIES:
        return raw.upper()
    if len(raw) == 2 and raw.upper() in _ISO2:
        return _ISO2[raw.upper()]
    # An explicit lookup is not free text, so aliases kept upper-case-only there ("usa") count here.
    for target in _ALIAS_INDEX.get(tuple(normalise(raw).split()), ()):
        if target.kind == "country":
            return target.key
    places = find_places(raw)
    if len(places.countries) == 1 and not places.regions:
        return places.countries[0]
    return None


def country_name(iso3: str) -> str:
    """English name of a country code (any case); the code itself when unknown."""
    country = COUNTRIES.get(iso3.strip().upper()) if isinstance(iso3, str) else None
    return country.name if country else iso3
