import pytest

from assistant.text.geo import (
    COUNTRIES,
    PRIMARY_REGIONS,
    REGIONS,
    country_code,
    country_name,
    find_places,
    neighbours,
    region_of,
    tokenise,
)

# --- find_places ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "countries"),
    [
        ("What solutions for clean water exist in Kenya?", ["KEN"]),
        ("Quelles solutions au Niger ?", ["NER"]),
        ("projets au Nigeria", ["NGA"]),
        ("Guinea-Bissau", ["GNB"]),
        ("Côte d'Ivoire", ["CIV"]),
        ("Cote d Ivoire", ["CIV"]),
        ("Ivory Coast", ["CIV"]),
        ("cocoa farming in Côte d’Ivoire", ["CIV"]),  # typographic apostrophe
        ("em Moçambique", ["MOZ"]),
        ("Somalia", ["SOM"]),
        ("Somalie", ["SOM"]),
        ("Kenyan farmers", ["KEN"]),
        ("les agriculteurs nigériens", ["NER"]),
        ("les agriculteurs nigérians", ["NGA"]),
        ("des projets d'Ouganda", ["UGA"]),
        ("l'accès à l'eau en Éthiopie", ["ETH"]),
        ("l'accès à l'eau en Ethiopie", ["ETH"]),
        ("SOLUTIONS IN KENYA", ["KEN"]),
        ("proyectos en la RDC y en el Perú", ["COD", "PER"]),
        ("Papua New Guinea, Equatorial Guinea and Guinea", ["PNG", "GNQ", "GIN"]),
        ("the Democratic Republic of the Congo and the Republic of the Congo", ["COD", "COG"]),
        ("Brazilian and Indian experts in Mexico", ["BRA", "IND", "MEX"]),
        ("cooperação entre o Brasil e Angola", ["BRA", "AGO"]),
    ],
)
def test_find_places_countries(text, countries):
    assert find_places(text).countries == countries


def test_nigeria_and_niger_are_never_confused():
    assert find_places("Quelles solutions au Niger ?").countries == ["NER"]
    assert find_places("projets au Nigeria").countries == ["NGA"]
    assert find_places("Niger and Nigeria").countries == ["NER", "NGA"]


def test_somalia_is_never_mali():
    for text in ("Somalia", "Somalie", "solutions en Somalie", "Somália"):
        assert "MLI" not in find_places(text).countries


def test_south_africa_is_not_the_africa_region():
    match = find_places("What works in South Africa?")
    assert match.countries == ["ZAF"]
    assert match.regions == []


def test_guinea_bissau_is_not_guinea():
    assert find_places("Projects in Guinea-Bissau").countries == ["GNB"]
    assert find_places("Projets en Guinée-Bissau").countries == ["GNB"]


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("solutions in the Sahel", ["Sahel"]),
        ("en Afrique de l'Ouest", ["West Africa"]),
        ("les pays de l'Afrique de l'Ouest", ["West Africa"]),
        ("Afrique occidentale", ["West Africa"]),
        ("soluciones en América Latina", ["Latin America"]),
        ("soluções na África Oriental", ["East Africa"]),
        ("Afrique de l'Est", ["East Africa"]),
        ("États arabes", ["Arab States"]),
        ("le monde arabe", ["Arab States"]),
        ("Asie du Sud-Est", ["South-East Asia"]),
        ("South Asia", ["South Asia"]),
        ("Latin America and the Caribbean", ["Latin America and the Caribbean"]),
        ("América Latina y el Caribe", ["Latin America and the Caribbean"]),
        ("sub-Saharan Africa", ["Sub-Saharan Africa"]),
        ("the Horn of Africa", ["Horn of Africa"]),
        ("la Corne de l'Afrique", ["Horn of Africa"]),
        ("the Global South", ["Global South"]),
        ("Africa", ["Africa"]),
    ],
)
def test_find_places_regions(text, regions):
    match = find_places(text)
    assert match.regions == regions
    assert match.countries == []


def test_regions_and_countries_together_in_order_with_spans():
    text = "Projets au Sénégal et dans le Sahel"
    match = find_places(text)
    assert match.countries == ["SEN"]
    assert match.regions == ["Sahel"]
    assert [text[a:b] for a, b in match.spans] == ["Sénégal", "Sahel"]


@pytest.mark.parametrize(
    "text",
    [
        "How do I recycle plastic bottles?",
        "Comment recycler les bouteilles en plastique ?",
        "¿Quién usa energía solar?",  # Spanish "usa" is not the USA
        "l'eau potable pour tous",  # French "eau" is not the Emirates
        "Chadwick bought a Malibu car",  # no match inside words
        "Indian Ocean islands",  # not India
        "fisheries in the Gulf of Guinea",  # not Guinea
        "",
    ],
)
def test_no_false_positives(text):
    match = find_places(text)
    assert match.countries == []
    assert match.regions == []
    assert match.spans == []


def test_upper_case_acronyms_still_match():
    assert find_places("solar projects in the USA").countries == ["USA"]
    assert find_places("partners in the UAE").countries == ["ARE"]


# --- country_code / country_name / region_of ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("KEN", "KEN"),
        ("ken", "KEN"),
        ("KE", "KEN"),
        ("ng", "NGA"),
        ("NE", "NER"),
        ("Kenya", "KEN"),
        ("Kenia", "KEN"),
        ("Quênia", "KEN"),
        ("Côte d'Ivoire", "CIV"),
        ("Ivory Coast", "CIV"),
        ("DRC", "COD"),
        ("RDC", "COD"),
        ("Congo", "COG"),
        ("North Macedonia", "MKD"),
        ("usa", "USA"),
        ("Bolivia (Plurinational State of)", "BOL"),
        ("  Sénégal ", "SEN"),
        ("banana", None),
        ("", None),
        ("Africa", None),
        ("XX", None),
    ],
)
def test_country_code(value, expected):
    assert country_code(value) == expected


def test_every_country_name_and_alias_resolves_to_itself():
    for country in COUNTRIES.values():
        assert country_code(country.iso3) == country.iso3
        assert country_code(country.iso2) == country.iso3
        for name in country.names:
            assert country_code(name) == country.iso3, (name, country.iso3)


def test_country_name():
    assert country_name("KEN") == "Kenya"
    assert country_name("civ") == "Côte d'Ivoire"
    assert country_name("XYZ") == "XYZ"


def test_country_name_in_french_spanish_portuguese_is_unchanged():
    assert [country_name("CIV", lang) for lang in ("fr", "es", "pt")] == [
        "Côte d'Ivoire",
        "Côte d'Ivoire",
        "Costa do Marfim",
    ]
    assert [country_name("EGY", lang) for lang in ("fr", "es", "pt")] == ["Égypte", "Egipto", "Egito"]
    assert country_name("MKD", "pt") == "Macedônia do Norte"
    assert country_name("JPN", "de") == "Japan"  # no German name in the table: English


@pytest.mark.parametrize(
    ("iso3", "arabic"),
    [
        ("KEN", "كينيا"),
        ("UGA", "أوغندا"),
        ("RWA", "رواندا"),
        ("MRT", "موريتانيا"),
        ("SEN", "السنغال"),
        ("EGY", "مصر"),
        ("COD", "جمهورية الكونغو الديمقراطية"),
        ("MLI", "مالي"),
        ("OMN", "عُمان"),
    ],
)
def test_country_name_in_arabic(iso3, arabic):
    assert country_name(iso3, "ar") == arabic
    assert country_name(iso3.lower(), "ar") == arabic


def test_country_name_in_swahili_falls_back_to_english():
    assert country_name("EGY", "sw") == "Misri"
    assert country_name("ZAF", "sw") == "Afrika Kusini"
    assert country_name("MOZ", "sw") == "Msumbiji"
    assert country_name("COD", "sw") == "Jamhuri ya Kidemokrasia ya Kongo"
    assert country_name("KEN", "sw") == "Kenya"  # same name in Swahili: not in the table
    assert country_name("UGA", "sw") == "Uganda"
    assert country_name("KEN", "xx") == "Kenya"


def test_every_country_has_an_arabic_name_that_it_is_found_by():
    for country in COUNTRIES.values():
        arabic = country_name(country.iso3, "ar")
        assert arabic != country.name and any("\u0600" <= ch <= "\u06ff" for ch in arabic), country.iso3
        assert country_code(arabic) == country.iso3, (arabic, country.iso3)


def test_swahili_names_are_only_those_that_differ_from_english():
    from assistant.text import geo

    for iso3, names in geo._localised_names().items():
        if "sw" in names:
            assert names["sw"] != COUNTRIES[iso3].name, iso3
            assert country_code(names["sw"]) == iso3, iso3


# --- Arabic questions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "countries"),
    [
        ("هل توجد في موريتانيا حلول لتفقيس البيض؟", ["MRT"]),
        ("حلول المياه في كينيا", ["KEN"]),
        ("مشاريع الطاقة الشمسية بالسنغال", ["SEN"]),  # ب + السنغال
        ("في تونس والمغرب", ["TUN", "MAR"]),  # و + المغرب
        ("ما الحلول المناسبة لمصر؟", ["EGY"]),  # ل + مصر
        ("حلول للمغرب", ["MAR"]),  # ل + المغرب, written لل
        ("وبالمغرب أيضا", ["MAR"]),  # و + ب + المغرب
        ("فالسودان", ["SDN"]),
        ("كالعراق", ["IRQ"]),
        ("مشاريع في أثيوبيا وإثيوبيا واثيوبيا", ["ETH"]),  # hamza forms fold to one
        ("في سوريا وسورية", ["SYR"]),  # ة folds to ه
        ("الموزمبيق", ["MOZ"]),  # the article on a name without one
        ("بجمهورية الكونغو الديمقراطية وجمهورية الكونغو", ["COD", "COG"]),
        ("وجنوب السودان والسودان", ["SSD", "SDN"]),
        ("جنوب أفريقيا", ["ZAF"]),
        ("بابوا غينيا الجديدة", ["PNG"]),
        ("ساحل العاج", ["CIV"]),
        ("لبنان والأردن", ["LBN", "JOR"]),  # a name starting with a clitic letter is itself first
        ("الرِّيُّ في كِينْيَا", ["KEN"]),  # short vowels are dropped
        ("Misri na Afrika Kusini", ["EGY", "ZAF"]),
    ],
)
def test_find_places_in_arabic(text, countries):
    assert find_places(text).countries == countries


def test_arabic_question_is_analysed_with_its_prefixed_country():
    from assistant.retrieval.query import analyse

    analysis = analyse("هل توجد حلول للري بالطاقة الشمسية بالسنغال؟")
    assert analysis.countries == ["SEN"]
    text = "مشاريع المياه بالسنغال"
    assert [text[a:b] for a, b in find_places(text).spans] == ["بالسنغال"]


@pytest.mark.parametrize(
    "text",
    [
        "هل يوجد دعم مالي للمشاريع الصغيرة؟",  # مالي: financial
        "أحتاج إلى دعم فني ومالي",  # "and financial", not after a country
        "الدعم المالي والتقني",
        "دفعت من مالي الخاص",  # my money
        "بمالي الخاص",
        "تمويل، مالي وتقني",  # after a comma, but not after a country
        "مدارس للبنين والبنات",  # بنين: boys
        "أنابيب بقطر 10 سم",  # قطر: diameter
        "مشاريع اللاجئين في عمان",  # عمان: Amman, not Oman
        "المغرب العربي",  # the Maghreb, not Morocco
        "الصيد في خليج غينيا",  # not Guinea
        "غروب الشمس وقت مغرب",  # 'مغرب' without the article is not Morocco
    ],
)
def test_arabic_everyday_words_are_not_countries(text):
    assert find_places(text).countries == []


def test_an_arabic_word_after_a_country_is_not_always_a_country():
    assert find_places("دعم السنغال مالي وتقنيا").countries == ["SEN"]  # no "و", no comma: "financially"


@pytest.mark.parametrize(
    ("text", "countries"),
    [
        ("مشاريع في مالي", ["MLI"]),
        ("وفي مالي", ["MLI"]),
        ("جمهورية مالي", ["MLI"]),
        ("السنغال ومالي والنيجر", ["SEN", "MLI", "NER"]),  # after another country, in a list
        ("السنغال ومالي وبنين", ["SEN", "MLI", "BEN"]),
        ("السنغال، مالي، النيجر", ["SEN", "MLI", "NER"]),  # Arabic comma
        ("Senegal, مالي", ["SEN", "MLI"]),
        ("في بنين وتوغو", ["BEN", "TGO"]),
        ("دولة قطر", ["QAT"]),
        ("سلطنة عمان", ["OMN"]),
    ],
)
def test_arabic_names_that_are_also_words_need_context(text, countries):
    assert find_places(text).countries == countries
    assert country_code("مالي") == "MLI"  # an explicit lookup needs none


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("ما هي حلول الطاقة الشمسية في غرب أفريقيا؟", ["West Africa"]),
        ("حلول للمياه النظيفة في شرق أفريقيا", ["East Africa"]),
        ("مشاريع التعليم في منطقة الساحل", ["Sahel"]),
        ("مشاريع بغرب إفريقيا", ["West Africa"]),  # ب + غرب; إفريقيا folds to أفريقيا
        ("وشرق افريقيا", ["East Africa"]),  # و + شرق; افريقيا without hamza
        ("في أفريقيا الغربية", ["West Africa"]),
        ("دول الإيكواس", ["West Africa"]),  # the article on a name without one
        ("في الشرق الأوسط", ["Middle East and North Africa"]),
        ("بالشرق الأوسط وشمال أفريقيا", ["Middle East and North Africa"]),  # the longer name wins
        ("في شمال أفريقيا", ["North Africa"]),
        ("للدول العربية", ["Arab States"]),  # ل + الدول, written لل
        ("في العالم العربي", ["Arab States"]),
        ("في أمريكا اللاتينية وأميركا الوسطى", ["Latin America"]),  # both spellings of أمريكا
        ("لأمريكا اللاتينية ومنطقة البحر الكاريبي", ["Latin America and the Caribbean"]),
        ("في جنوب آسيا وجنوب شرق آسيا", ["South Asia", "South-East Asia"]),
        ("جزر المحيط الهادئ", ["Pacific"]),
        ("في آسيا والمحيط الهادئ", ["Asia-Pacific"]),
        ("والكاريبي", ["Caribbean"]),
        ("بلدان الجنوب الأفريقي", ["Southern Africa"]),  # not South Africa (جنوب أفريقيا)
        ("في القرن الأفريقي", ["Horn of Africa"]),
        ("منطقة البحيرات الكبرى", ["Great Lakes"]),
        ("في أفريقيا جنوب الصحراء الكبرى", ["Sub-Saharan Africa"]),
        ("منطقة الساحل الأفريقي", ["Sahel"]),  # not Sahel and Africa
        ("الدول الأفريقية", ["Africa"]),  # the adjective, with the article
        ("في آسيا الوسطى", ["Central Asia"]),
        ("من أوروبا وأمريكا الشمالية", ["Europe", "North America"]),
        ("دول الجنوب العالمي", ["Global South"]),
    ],
)
def test_find_places_regions_in_arabic(text, regions):
    match = find_places(text)
    assert match.regions == regions
    assert match.countries == []


def test_arabic_region_names_keep_countries_apart():
    assert find_places("جنوب أفريقيا").regions == []  # the country South Africa
    assert find_places("جمهورية أفريقيا الوسطى").countries == ["CAF"]
    assert find_places("جمهورية أفريقيا الوسطى").regions == []
    match = find_places("السنغال ودول غرب أفريقيا")
    assert (match.countries, match.regions) == (["SEN"], ["West Africa"])
    text = "مشاريع الطاقة بغرب أفريقيا"
    assert [text[a:b] for a, b in find_places(text).spans] == ["بغرب أفريقيا"]  # the clitic is in the span


@pytest.mark.parametrize(
    "text",
    [
        "مشاريع في الجنوب",  # 'the south', not the Global South
        "أين يقع الجنوب؟",
        "التعاون فيما بين بلدان الجنوب",  # South-South cooperation names no place
        "التعاون بين دول الجنوب",
        "حماية الساحل من التآكل",  # 'the coast', not the Sahel
        "ذهبت إلى الشرق ثم إلى الغرب",
        "أجب باللغة العربية",  # the Arabic language, not the Arab States
        "دروس اللغة اللاتينية",
        "تلوث مياه البحر",
    ],
)
def test_arabic_everyday_words_are_not_regions(text):
    match = find_places(text)
    assert match.regions == []
    assert match.countries == []


def test_arabic_question_is_analysed_with_its_region_and_goal():
    from assistant.retrieval.query import analyse

    analysis = analyse("ما هي حلول الطاقة الشمسية في غرب أفريقيا؟")
    assert (analysis.language, analysis.regions, analysis.sdgs) == ("ar", ["West Africa"], [7])
    assert "SEN" in analysis.place_codes()


@pytest.mark.parametrize(
    ("iso3", "region"),
    [
        ("KEN", "East Africa"),
        ("SOM", "East Africa"),
        ("DJI", "East Africa"),
        ("EGY", "North Africa"),
        ("SDN", "North Africa"),
        ("MAR", "North Africa"),
        ("MRT", "West Africa"),
        ("SAU", "Arab States"),
        ("YEM", "Arab States"),
        ("BRA", "Latin America"),
        ("HTI", "Caribbean"),
        ("FJI", "Pacific"),
        ("VNM", "South-East Asia"),
        ("KAZ", "Central Asia"),
        ("MKD", "Europe"),
        ("USA", "North America"),
        ("ken", "East Africa"),
        ("XYZ", None),
    ],
)
def test_region_of(iso3, region):
    assert region_of(iso3) == region


# --- the tables -------------------------------------------------------------------------------------


def test_every_country_has_one_primary_region_and_is_in_it():
    for country in COUNTRIES.values():
        assert country.region in PRIMARY_REGIONS
        assert country.iso3 in REGIONS[country.region].members


def test_primary_regions_other_than_arab_states_partition_the_countries():
    for name in PRIMARY_REGIONS:
        expected = {c.iso3 for c in COUNTRIES.values() if c.region == name}
        if name == "Arab States":
            assert expected < REGIONS[name].members  # plus North Africa and the Horn's League members
        else:
            assert REGIONS[name].members == expected


def test_codes_are_unique_and_well_formed():
    iso2 = [c.iso2 for c in COUNTRIES.values()]
    assert len(set(iso2)) == len(iso2)
    assert all(len(code) == 2 and code.isupper() for code in iso2)
    assert all(len(code) == 3 and code.isupper() and COUNTRIES[code].iso3 == code for code in COUNTRIES)


def test_coverage_of_africa_and_the_global_south():
    assert len(REGIONS["Africa"].members) == 54
    assert len(COUNTRIES) >= 193
    for code in ("KEN", "BRA", "IND", "CHN", "SAU", "ARE", "SGP", "CUB", "FJI", "KAZ", "PSE"):
        assert COUNTRIES[code].global_south, code


def test_northern_donors_are_not_global_south():
    north = (
        "USA",
        "GBR",
        "FRA",
        "DEU",
        "NLD",
        "NOR",
        "SWE",
        "DNK",
        "CHE",
        "JPN",
        "KOR",
        "CAN",
        "AUS",
        "NZL",
        "ITA",
        "ESP",
        "PRT",
        "BEL",
        "IRL",
        "FIN",
        "AUT",
        "LUX",
        "MKD",
    )
    for code in north:
        assert not COUNTRIES[code].global_south, code
    assert COUNTRIES["MKD"].region == "Europe"
    assert REGIONS["Global South"].members == {c.iso3 for c in COUNTRIES.values() if c.global_south}


def test_groupings():
    sahel = REGIONS["Sahel"].members
    assert {"SEN", "MRT", "MLI", "BFA", "NER", "TCD"} <= sahel
    assert "NGA" not in sahel
    assert REGIONS["Sub-Saharan Africa"].members == REGIONS["Africa"].members - {"DZA", "EGY", "LBY", "MAR", "TUN"}
    assert REGIONS["Latin America and the Caribbean"].members == (
        REGIONS["Latin America"].members | REGIONS["Caribbean"].members
    )
    assert {"EGY", "SAU", "MAR"} <= REGIONS["Middle East and North Africa"].members


def test_every_region_alias_is_found_as_that_region():
    for region in REGIONS.values():
        for alias in region.aliases:
            match = find_places(f"projects in {alias}")
            assert match.regions == [region.name], (alias, match)
            assert match.countries == [], (alias, match)


def test_tokenise_keeps_original_offsets():
    text = "L'Éthiopie"
    tokens = tokenise(text)
    assert [t.text for t in tokens] == ["l", "ethiopie"]
    assert text[tokens[1].start : tokens[1].end] == "Éthiopie"


# --- neighbours and the data files ----------------------------------------------------------------


def test_neighbours():
    assert {"MRT", "MLI", "GIN", "GNB", "GMB"} == set(neighbours("SEN"))
    assert set(neighbours("ner")) == {"DZA", "LBY", "TCD", "NGA", "BEN", "BFA", "MLI"}
    assert "KEN" in neighbours("UGA") and "BRA" in neighbours(" arg ")
    assert neighbours("GMB") == ("SEN",)
    assert neighbours("MDG") == () and neighbours("FJI") == ()  # island states
    assert neighbours("XYZ") == () and neighbours("") == ()


def test_neighbours_are_symmetric_known_sorted_and_never_self():
    for country in COUNTRIES.values():
        assert list(country.neighbours) == sorted(set(country.neighbours)), country.iso3
        assert country.iso3 not in country.neighbours
        for other in country.neighbours:
            assert other in COUNTRIES, (country.iso3, other)
            assert country.iso3 in neighbours(other), (country.iso3, other)


# Every country without a land border in the regions the "next door" feature serves first.
_ISLAND_STATES = {
    "CPV", "STP", "COM", "SYC", "MDG", "MUS", "BHR", "MDV", "LKA", "PHL", "SGP",
    "ATG", "BHS", "BRB", "CUB", "DMA", "GRD", "JAM", "KNA", "LCA", "VCT", "TTO",
}  # fmt: skip


def test_every_mainland_country_of_the_south_has_neighbours():
    served = {"Africa", "Latin America and the Caribbean", "Arab States", "South Asia", "South-East Asia"}
    for code in set().union(*(REGIONS[name].members for name in served)):
        assert bool(neighbours(code)) == (code not in _ISLAND_STATES), code


def test_data_files_are_read_once_and_checked(monkeypatch):
    from assistant.text import geo

    assert geo._country_data() is geo._country_data()
    good = geo.read_data("countries.json")
    broken = {**good, "countries": [*good["countries"][:3], {"iso3": "XXX", "iso2": "XX", "region": "Europe"}]}
    monkeypatch.setattr(geo, "read_data", lambda file: broken)
    geo._country_data.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"countries\.json: countries entry 3 \('XXX'\) needs 'name'"):
            geo._country_data()
    finally:
        geo._country_data.cache_clear()
