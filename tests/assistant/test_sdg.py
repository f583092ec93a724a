import pytest

from assistant.text.sdg import SDG_NAMES, SDG_NAMES_I18N, find_sdgs, normalise_sdgs, sdg_number


def test_name_tables_are_complete():
    assert set(SDG_NAMES) == set(range(1, 18))
    assert SDG_NAMES[1] == "No poverty"
    assert SDG_NAMES[17] == "Partnerships for the goals"
    assert set(SDG_NAMES_I18N) == {"fr", "es", "pt", "ar"}
    for names in SDG_NAMES_I18N.values():
        assert set(names) == set(range(1, 18))
        assert all(name.strip() for name in names.values())
    assert SDG_NAMES_I18N["fr"][6] == "Eau propre et assainissement"
    assert SDG_NAMES_I18N["es"][6] == "Agua limpia y saneamiento"
    assert SDG_NAMES_I18N["pt"][6] == "Água potável e saneamento"


def test_arabic_names_are_the_un_short_names():
    arabic = SDG_NAMES_I18N["ar"]
    assert arabic[1] == "القضاء على الفقر"
    assert arabic[2] == "القضاء التام على الجوع"
    assert arabic[3] == "الصحة الجيدة والرفاه"
    assert arabic[6] == "المياه النظيفة والنظافة الصحية"
    assert arabic[7] == "طاقة نظيفة وبأسعار معقولة"
    assert arabic[13] == "العمل المناخي"
    assert all(any("\u0600" <= ch <= "\u06ff" for ch in name) for name in arabic.values())


def test_a_language_without_goal_names_falls_back_to_english():
    # Swahili goal names are not in sdgs.json: an answer in Swahili names goals in English.
    from assistant.answers import compose

    assert "sw" not in SDG_NAMES_I18N
    assert compose._sdg_names()[3].get("sw", compose._sdg_names()[3]["en"]) == "Good health and well-being"
    assert compose._sdg_names()[3].get("ar") == "الصحة الجيدة والرفاه"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ما هي الحلول المتعلقة بالهدف 6؟", [6]),  # "بالهدف" = "ب" + "الهدف"
        ("حلول للهدف 2 والهدف 5", [2, 5]),
        ("حلول الهدف 6 في كينيا", [6]),
        ("الهدف رقم 13", [13]),
        ("أهداف التنمية المستدامة 6 و 7", [6, 7]),
        ("الهدف ٤", [4]),  # Arabic-Indic digit
        ("مشاريع المياه النظيفة والنظافة الصحية", [6]),
        ("العمل المناخي", [13]),
    ],
)
def test_find_sdgs_arabic(text, expected):
    assert find_sdgs(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ما هي حلول الطاقة الشمسية في غرب أفريقيا؟", [7]),
        ("حلول للمياه النظيفة في شرق أفريقيا", [6]),  # ل + المياه, written لل
        ("مشاريع التعليم في منطقة الساحل", [4]),
        ("هل توجد حلول للري بالطاقة الشمسية بالسنغال؟", [2, 7]),
        ("الفقر والحماية الاجتماعية", [1]),
        ("دعم صغار المزارعين في مواجهة الجفاف", [2, 13]),
        ("الأمن الغذائي وسوء التغذية", [2]),
        ("المستشفيات والمراكز الصحية", [3]),
        ("حملات التطعيم ضد الملاريا", [3]),
        ("مياه الشرب والصرف الصحي في المدارس", [6, 4]),
        ("تمكين المرأة والفتيات", [5]),
        ("العنف القائم على النوع الاجتماعي", [5]),  # the phrase, not violence (16)
        ("عدم المساواة بين الجنسين", [5]),  # the goal name wins over inequality (10)
        ("الكهرباء في الأرياف والطاقة المتجددة", [7]),
        ("فرص العمل للشباب وريادة الأعمال", [8]),
        ("الابتكار والبنية التحتية", [9]),
        ("إدماج اللاجئين والمهاجرين", [10]),
        ("الإسكان في المدن", [11]),
        ("إعادة تدوير النفايات البلاستيكية", [12]),
        ("التكيف مع تغير المناخ", [13]),
        ("الصيد البحري والشعاب المرجانية", [14]),
        ("مكافحة التصحر وإزالة الغابات", [15]),
        ("بناء السلام ومكافحة الفساد", [16]),
        ("التعاون فيما بين بلدان الجنوب والتعاون الثلاثي", [17]),
        ("بالعمل المناخي", [13]),  # a goal name with a clitic
        ("وبالمساواة بين الجنسين", [5]),
        ("حلول للقضاء على الفقر", [1]),
    ],
)
def test_find_sdgs_arabic_keywords(text, expected):
    assert find_sdgs(text) == expected


@pytest.mark.parametrize("word", ["زراعة", "الزراعة", "بالزراعة", "للزراعة", "والزراعة", "وللزراعة", "الزراعية"])
def test_an_arabic_keyword_matches_with_its_article_and_clitics(word):
    assert find_sdgs(f"مشاريع {word} في مصر") == [2]


@pytest.mark.parametrize(
    "text",
    [
        "السلام عليكم",  # the greeting, not peace (16)
        "مرحبا، كيف يمكنك مساعدتي؟",
        "ماذا يمكنك أن تفعل؟",
        "أجب باللغة العربية من فضلك",
        "أحتاج بطاقة ائتمان",  # بطاقة: a card (ب + طاقة), not energy
        "أريد تقديم تغذية راجعة",  # feedback, not nutrition
        "هل هذه المعلومات صحيحة؟",  # correct, not health
        "هذا مشروع طبيعي وبسيط",  # natural, not medical
        "ما وظيفة هذا المساعد؟",  # a function, not jobs
        "مشاريع في منطقة البحر الكاريبي",  # a region, not the sea (14)
        "حلول في المحيط الهادئ",
    ],
)
def test_find_sdgs_arabic_neutral(text):
    assert find_sdgs(text) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (6, 6),
        (1, 1),
        (17, 17),
        ("6", 6),
        ("06", 6),
        ("SDG 6", 6),
        ("SDG6", 6),
        ("sdg-6", 6),
        ("Goal 6", 6),
        ("ODD 6", 6),
        ("ODS 6", 6),
        ("Objetivo 6", 6),
        ("Objectif n° 13", 13),
        ("SDG 6: Clean water and sanitation", 6),
        ("Reduced innequalities", 10),
        ("Reduced inequality", 10),
        ("Good health and well being", 3),
        ("Industry, Innovation & Infrastructure", 9),
        ("Peace, justice and strong institution", 16),
        ("Partnership for the goals", 17),
        ("Faim zéro", 2),
        ("faim zero", 2),
        ("Energía asequible y no contaminante", 7),
        ("Vida terrestre", 15),
        ("CLEAN WATER AND SANITATION", 6),
        ("Water", 6),
        ("الهدف 3", 3),
        ("الهدف 3: الصحة الجيدة والرفاه", 3),
        ("الصحة الجيدة والرفاه", 3),
        ("الصحه الجيده والرفاه", 3),  # ة written ه
        ("المياه النظيفة والصرف الصحي", 6),
        ("عقد الشراكات لتحقيق الأهداف", 17),
        ("المياه", 6),  # one-word Arabic keyword tags
        ("الزراعة", 2),
        ("التعليم", 4),
    ],
)
def test_sdg_number(value, expected):
    assert sdg_number(value) == expected


@pytest.mark.parametrize("goal", range(1, 18))
def test_sdg_number_reads_every_official_name(goal):
    assert sdg_number(SDG_NAMES[goal]) == goal
    for lang, names in SDG_NAMES_I18N.items():
        assert sdg_number(names[goal]) == goal, lang


@pytest.mark.parametrize(
    "value", ["banana", 0, 18, -1, "", "   ", None, True, 6.5, "SDG 18", "SDG 0", "goal", [6], "19"]
)
def test_sdg_number_rejects(value):
    assert sdg_number(value) is None


def test_normalise_sdgs():
    assert normalise_sdgs(["SDG 13", 6, "6", "banana", "Gender equality", None, 42]) == [5, 6, 13]
    assert normalise_sdgs([]) == []
    assert normalise_sdgs(["SDG 6; SDG 7", "Peace, justice and strong institutions"]) == [6, 7, 16]
    assert normalise_sdgs("ODD 4") == [4]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What solutions for clean water exist in Kenya?", [6]),
        ("Which projects improve sanitation and toilets in schools?", [6, 4]),
        ("Quelles solutions pour l'eau potable et l'assainissement au Niger ?", [6]),
        ("énergie solaire pour les centres de santé", [7, 3]),
        ("soluciones de energía solar en América Latina", [7]),
        ("Projetos de educação e escolas em Moçambique", [4]),
        ("programmes pour les femmes et les filles", [5]),
        ("Kenyan farmers facing drought", [2, 13]),
        ("sécurité alimentaire au Sahel", [2]),
        ("gestion des déchets et recyclage", [12]),
        ("reciclaje de residuos plásticos", [12]),
        ("pesca artesanal e oceano", [14]),
        ("deforestation and biodiversity loss", [15]),
        ("desmatamento e floresta", [15]),
        ("youth employment in cities", [8, 11]),
        ("lutte contre la corruption et gouvernance", [16]),
        ("South-South cooperation and partnerships", [17]),
        ("reducing inequalities for people with disability", [10]),
        ("Life below water", [14]),
    ],
)
def test_find_sdgs_keywords_and_names(text, expected):
    assert find_sdgs(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("solutions for SDG 6", [6]),
        ("projets liés aux ODD 13 et 4", [13, 4]),
        ("ODS 4 en Brasil", [4]),
        ("what about goal 5?", [5]),
        ("SDGs 6 and 7", [6, 7]),
        ("SDG6", [6]),
    ],
)
def test_find_sdgs_explicit(text, expected):
    assert find_sdgs(text) == expected


def test_explicit_mentions_and_names_rank_before_keywords():
    assert find_sdgs("solar mini-grids for ODD 6") == [6, 7]
    assert find_sdgs("health clinics and Climate action") == [13, 3]


def test_find_sdgs_matches_whole_words_only():
    # "seashell" is not "sea", "bureau" is not "eau", "Fishburne" is not a fishery
    assert find_sdgs("a seashell on the bureau of Mr Fishburne") == []


@pytest.mark.parametrize(
    "text",
    ["Hello, how are you?", "What is the capital of Peru?", "Bonjour, pouvez-vous m'aider ?", "", "Tell me more"],
)
def test_find_sdgs_neutral(text):
    assert find_sdgs(text) == []


def test_sdg_data_is_read_once_and_checked():
    import copy

    from assistant.text import sdg

    assert sdg._sdg_data() is sdg._sdg_data()
    broken = copy.deepcopy(sdg._sdg_data())
    del broken["goals"][5]["keywords"]
    with pytest.raises(ValueError, match=r"sdgs\.json: goals entry 5 \(goal 6\) needs 'keywords'"):
        sdg._check_data(broken)
    broken = copy.deepcopy(sdg._sdg_data())
    del broken["goals"][12]["names"]["pt"]
    with pytest.raises(ValueError, match=r"sdgs\.json: goal 13 is named in"):
        sdg._check_data(broken)


@pytest.mark.parametrize(
    ("topic", "goal"),
    [
        ("trabalho digno e emprego", 8),  # Portugal's and Lusophone Africa's word, beside Brazil's "decente"
        ("travail digne pour les jeunes", 8),
        ("reciclagem e consumo responsável", 12),
        ("consommation responsable", 12),
    ],
)
def test_a_theme_asked_in_its_usual_words_names_its_goal_with_every_word(topic, goal):
    from assistant.retrieval.places import asks_a_theme

    assert find_sdgs(topic) == [goal] and asks_a_theme(topic, [goal])
