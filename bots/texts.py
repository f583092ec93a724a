"""Every string the Telegram bot shows, per language (UI text, not prompts: those live in assistant/prompts.py).

Keys are stable and every language has every key (a test checks it). Values are plain text with `{name}`
placeholders; the bot HTML-escapes them (and whatever is substituted into them) before sending.
"""

from __future__ import annotations

#: Languages the bot's interface speaks; /lang offers them in this order.
LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "pt", "ar", "sw")
DEFAULT_LANGUAGE = "en"  # only when neither /lang nor Telegram's language_code names a language we speak
LANGUAGE_LABELS = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "pt": "Português",
    "ar": "العربية",
    "sw": "Kiswahili",
}

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "welcome": "👋 Hello! I am Galaxy Assistant. I answer questions about South-South cooperation solutions "
        "(water, farming, health, energy, climate…) with their sources, suggest partners, and collect "
        "your own solutions.\n\nJust write your question, or try one of these:",
        "help": "How to use me:\n"
        "• Write any question, e.g. “solar irrigation in Niger”. I answer with sources.\n"
        "• Under each answer: Sources, Partners, More, 👍 / 👎.\n"
        "/partners NEED: who could help with a need\n"
        "/share: add your own solution (checked by a moderator)\n"
        "/lang: change the language\n"
        "/reset: forget our conversation\n"
        "/cancel: stop /share",
        "lang_prompt": "Choose your language:",
        "lang_set": "OK: I will now speak English.",
        "reset_done": "Done: I have forgotten our conversation. Ask a new question.",
        "apology": "Sorry, something went wrong on my side. Please try again in a moment.",
        "too_long": "Your message is very long ({n} characters). Please ask a shorter question "
        "(at most {max} characters).",
        "ask_usage": "Write your question after /ask, for example: /ask {example}",
        "expired": "This answer has expired. Please ask your question again.",
        "feedback_thanks": "Thank you for your feedback!",
        "feedback_already": "You have already rated this answer.",
        "sources_title": "Sources",
        "no_sources": "This answer has no sources.",
        "partners_title": "Possible partners",
        "partners_none": "I found no partner for this need in the knowledge base.",
        "partners_usage": "Tell me what you need after /partners, for example: /partners solar irrigation in Niger",
        "funding_title": "Funding opportunities",
        "btn_sources": "📚 Sources",
        "btn_partners": "🤝 Partners",
        "btn_more": "➕ More",
        "asked": "Question: {question}",
        "text_only": "I can only read text messages. Please write your question.",
        "nothing_to_cancel": "There is nothing to cancel.",
        "share_start": "Let's add your solution to the knowledge base. A moderator checks it before it is "
        "published. Send /cancel at any time to stop.\n\n1/4 What is the name of your solution?",
        "share_title_bad": "The name needs between 5 and {max} characters. What is the name of your solution?",
        "share_country": "2/4 In which country is it used? (send - to skip)",
        "share_country_bad": "I do not know the country “{value}”. Please write its full name, e.g. Senegal, "
        "or send - to skip.",
        "share_problem": "3/4 What problem does it solve, and how? (between 20 and {max} characters)",
        "share_problem_bad": "Please describe it in 20 to {max} characters.",
        "share_contact": "4/4 How can people reach you? An e-mail address, a website or a phone number "
        "(send - to skip).",
        "share_contact_bad": "That does not look like an e-mail address, a website or a phone number. "
        "Please try again, or send - to skip.",
        "share_invalid": "This could not be saved: {reason} Please send the contact again, or /cancel.",
        "share_done": "Thank you! Your solution “{title}” is waiting for moderation (reference {id}).",
        "share_cancelled": "OK, I have stopped. Nothing was shared.",
        "cmd_start": "Welcome and examples",
        "cmd_help": "How to use the bot",
        "cmd_ask": "Ask a question",
        "cmd_partners": "Find partners for a need",
        "cmd_share": "Share your solution",
        "cmd_lang": "Change the language",
        "cmd_reset": "Forget the conversation",
        "cmd_cancel": "Stop sharing",
    },
    "fr": {
        "welcome": "👋 Bonjour ! Je suis Galaxy Assistant. Je réponds à vos questions sur les solutions de "
        "coopération Sud-Sud (eau, agriculture, santé, énergie, climat…) en citant mes sources, je "
        "suggère des partenaires et je recueille vos propres solutions.\n\nÉcrivez simplement votre "
        "question, ou essayez l'une de celles-ci :",
        "help": "Mode d'emploi :\n"
        "• Écrivez une question, par ex. « irrigation solaire au Niger ». Je réponds avec les sources.\n"
        "• Sous chaque réponse : Sources, Partenaires, Suite, 👍 / 👎.\n"
        "/partners BESOIN : qui pourrait aider pour un besoin\n"
        "/share : proposer votre solution (vérifiée par un modérateur)\n"
        "/lang : changer de langue\n"
        "/reset : oublier notre conversation\n"
        "/cancel : arrêter /share",
        "lang_prompt": "Choisissez votre langue :",
        "lang_set": "C'est noté : je parle maintenant français.",
        "reset_done": "C'est fait : j'ai oublié notre conversation. Posez une nouvelle question.",
        "apology": "Désolé, un problème est survenu de mon côté. Merci de réessayer dans un instant.",
        "too_long": "Votre message est très long ({n} caractères). Merci de poser une question plus courte "
        "({max} caractères au plus).",
        "ask_usage": "Écrivez votre question après /ask, par exemple : /ask {example}",
        "expired": "Cette réponse a expiré. Merci de reposer votre question.",
        "feedback_thanks": "Merci pour votre avis !",
        "feedback_already": "Vous avez déjà noté cette réponse.",
        "sources_title": "Sources",
        "no_sources": "Cette réponse n'a pas de sources.",
        "partners_title": "Partenaires possibles",
        "partners_none": "Je n'ai trouvé aucun partenaire pour ce besoin dans la base de connaissances.",
        "partners_usage": "Indiquez votre besoin après /partners, par exemple : /partners irrigation solaire au Niger",
        "funding_title": "Financements possibles",
        "btn_sources": "📚 Sources",
        "btn_partners": "🤝 Partenaires",
        "btn_more": "➕ Suite",
        "asked": "Question : {question}",
        "text_only": "Je ne lis que les messages texte. Merci d'écrire votre question.",
        "nothing_to_cancel": "Il n'y a rien à annuler.",
        "share_start": "Ajoutons votre solution à la base de connaissances. Un modérateur la vérifie avant "
        "publication. Envoyez /cancel à tout moment pour arrêter.\n\n1/4 Quel est le nom de votre "
        "solution ?",
        "share_title_bad": "Le nom doit compter entre 5 et {max} caractères. Quel est le nom de votre solution ?",
        "share_country": "2/4 Dans quel pays est-elle utilisée ? (envoyez - pour passer)",
        "share_country_bad": "Je ne connais pas le pays « {value} ». Écrivez son nom complet, par ex. Sénégal, "
        "ou envoyez - pour passer.",
        "share_problem": "3/4 Quel problème résout-elle, et comment ? (entre 20 et {max} caractères)",
        "share_problem_bad": "Merci de la décrire en 20 à {max} caractères.",
        "share_contact": "4/4 Comment vous joindre ? Une adresse e-mail, un site web ou un numéro de téléphone "
        "(envoyez - pour passer).",
        "share_contact_bad": "Cela ne ressemble pas à une adresse e-mail, un site web ou un numéro de téléphone. "
        "Réessayez, ou envoyez - pour passer.",
        "share_invalid": "Impossible d'enregistrer : {reason} Renvoyez le contact, ou /cancel.",
        "share_done": "Merci ! Votre solution « {title} » attend la modération (référence {id}).",
        "share_cancelled": "D'accord, j'arrête. Rien n'a été partagé.",
        "cmd_start": "Accueil et exemples",
        "cmd_help": "Mode d'emploi",
        "cmd_ask": "Poser une question",
        "cmd_partners": "Trouver des partenaires",
        "cmd_share": "Partager votre solution",
        "cmd_lang": "Changer de langue",
        "cmd_reset": "Oublier la conversation",
        "cmd_cancel": "Arrêter le partage",
    },
    "es": {
        "welcome": "👋 ¡Hola! Soy Galaxy Assistant. Respondo preguntas sobre soluciones de cooperación Sur-Sur "
        "(agua, agricultura, salud, energía, clima…) citando las fuentes, sugiero socios y recojo sus "
        "propias soluciones.\n\nEscriba su pregunta, o pruebe una de estas:",
        "help": "Cómo usarme:\n"
        "• Escriba una pregunta, p. ej. «riego solar en Níger». Respondo con las fuentes.\n"
        "• Debajo de cada respuesta: Fuentes, Socios, Más, 👍 / 👎.\n"
        "/partners NECESIDAD: quién podría ayudar\n"
        "/share: compartir su solución (revisada por un moderador)\n"
        "/lang: cambiar el idioma\n"
        "/reset: olvidar la conversación\n"
        "/cancel: detener /share",
        "lang_prompt": "Elija su idioma:",
        "lang_set": "De acuerdo: ahora hablo español.",
        "reset_done": "Listo: he olvidado nuestra conversación. Haga una nueva pregunta.",
        "apology": "Lo siento, algo falló de mi lado. Inténtelo de nuevo en un momento.",
        "too_long": "Su mensaje es muy largo ({n} caracteres). Haga una pregunta más corta "
        "(como máximo {max} caracteres).",
        "ask_usage": "Escriba su pregunta después de /ask, por ejemplo: /ask {example}",
        "expired": "Esta respuesta ha caducado. Vuelva a hacer su pregunta.",
        "feedback_thanks": "¡Gracias por su opinión!",
        "feedback_already": "Ya ha valorado esta respuesta.",
        "sources_title": "Fuentes",
        "no_sources": "Esta respuesta no tiene fuentes.",
        "partners_title": "Posibles socios",
        "partners_none": "No encontré ningún socio para esta necesidad en la base de conocimientos.",
        "partners_usage": "Indique su necesidad después de /partners, por ejemplo: /partners riego solar en Níger",
        "funding_title": "Oportunidades de financiación",
        "btn_sources": "📚 Fuentes",
        "btn_partners": "🤝 Socios",
        "btn_more": "➕ Más",
        "asked": "Pregunta: {question}",
        "text_only": "Solo leo mensajes de texto. Escriba su pregunta.",
        "nothing_to_cancel": "No hay nada que cancelar.",
        "share_start": "Agreguemos su solución a la base de conocimientos. Un moderador la revisa antes de "
        "publicarla. Envíe /cancel en cualquier momento para parar.\n\n1/4 ¿Cómo se llama su "
        "solución?",
        "share_title_bad": "El nombre debe tener entre 5 y {max} caracteres. ¿Cómo se llama su solución?",
        "share_country": "2/4 ¿En qué país se usa? (envíe - para omitir)",
        "share_country_bad": "No conozco el país «{value}». Escriba su nombre completo, p. ej. Perú, "
        "o envíe - para omitir.",
        "share_problem": "3/4 ¿Qué problema resuelve y cómo? (entre 20 y {max} caracteres)",
        "share_problem_bad": "Descríbala en 20 a {max} caracteres, por favor.",
        "share_contact": "4/4 ¿Cómo contactarle? Un correo electrónico, un sitio web o un teléfono "
        "(envíe - para omitir).",
        "share_contact_bad": "Eso no parece un correo, un sitio web ni un teléfono. Inténtelo de nuevo, "
        "o envíe - para omitir.",
        "share_invalid": "No se pudo guardar: {reason} Envíe de nuevo el contacto, o /cancel.",
        "share_done": "¡Gracias! Su solución «{title}» espera la moderación (referencia {id}).",
        "share_cancelled": "De acuerdo, paro aquí. No se compartió nada.",
        "cmd_start": "Bienvenida y ejemplos",
        "cmd_help": "Cómo usar el bot",
        "cmd_ask": "Hacer una pregunta",
        "cmd_partners": "Buscar socios",
        "cmd_share": "Compartir su solución",
        "cmd_lang": "Cambiar el idioma",
        "cmd_reset": "Olvidar la conversación",
        "cmd_cancel": "Detener el envío",
    },
    "pt": {
        "welcome": "👋 Olá! Sou o Galaxy Assistant. Respondo a perguntas sobre soluções de cooperação Sul-Sul "
        "(água, agricultura, saúde, energia, clima…) com as fontes, sugiro parceiros e recolho as suas "
        "próprias soluções.\n\nEscreva a sua pergunta, ou experimente uma destas:",
        "help": "Como me usar:\n"
        "• Escreva uma pergunta, p. ex. «irrigação solar no Níger». Respondo com as fontes.\n"
        "• Abaixo de cada resposta: Fontes, Parceiros, Mais, 👍 / 👎.\n"
        "/partners NECESSIDADE: quem poderia ajudar\n"
        "/share: partilhar a sua solução (revista por um moderador)\n"
        "/lang: mudar o idioma\n"
        "/reset: esquecer a conversa\n"
        "/cancel: parar /share",
        "lang_prompt": "Escolha o seu idioma:",
        "lang_set": "Combinado: agora falo português.",
        "reset_done": "Feito: esqueci a nossa conversa. Faça uma nova pergunta.",
        "apology": "Desculpe, algo correu mal do meu lado. Tente novamente daqui a pouco.",
        "too_long": "A sua mensagem é muito longa ({n} caracteres). Faça uma pergunta mais curta "
        "(no máximo {max} caracteres).",
        "ask_usage": "Escreva a sua pergunta depois de /ask, por exemplo: /ask {example}",
        "expired": "Esta resposta expirou. Faça a sua pergunta novamente.",
        "feedback_thanks": "Obrigado pela sua opinião!",
        "feedback_already": "Já avaliou esta resposta.",
        "sources_title": "Fontes",
        "no_sources": "Esta resposta não tem fontes.",
        "partners_title": "Possíveis parceiros",
        "partners_none": "Não encontrei nenhum parceiro para esta necessidade na base de conhecimento.",
        "partners_usage": "Indique a sua necessidade depois de /partners, por exemplo: /partners irrigação solar "
        "no Níger",
        "funding_title": "Oportunidades de financiamento",
        "btn_sources": "📚 Fontes",
        "btn_partners": "🤝 Parceiros",
        "btn_more": "➕ Mais",
        "asked": "Pergunta: {question}",
        "text_only": "Só leio mensagens de texto. Escreva a sua pergunta.",
        "nothing_to_cancel": "Não há nada para cancelar.",
        "share_start": "Vamos adicionar a sua solução à base de conhecimento. Um moderador revê-a antes da "
        "publicação. Envie /cancel a qualquer momento para parar.\n\n1/4 Qual é o nome da sua "
        "solução?",
        "share_title_bad": "O nome deve ter entre 5 e {max} caracteres. Qual é o nome da sua solução?",
        "share_country": "2/4 Em que país é usada? (envie - para saltar)",
        "share_country_bad": "Não conheço o país «{value}». Escreva o nome completo, p. ex. Moçambique, "
        "ou envie - para saltar.",
        "share_problem": "3/4 Que problema resolve, e como? (entre 20 e {max} caracteres)",
        "share_problem_bad": "Descreva-a em 20 a {max} caracteres, por favor.",
        "share_contact": "4/4 Como contactá-lo? Um e-mail, um site ou um número de telefone (envie - para saltar).",
        "share_contact_bad": "Isso não parece um e-mail, um site nem um telefone. Tente novamente, "
        "ou envie - para saltar.",
        "share_invalid": "Não foi possível guardar: {reason} Envie o contacto novamente, ou /cancel.",
        "share_done": "Obrigado! A sua solução «{title}» aguarda moderação (referência {id}).",
        "share_cancelled": "Está bem, parei. Nada foi partilhado.",
        "cmd_start": "Boas-vindas e exemplos",
        "cmd_help": "Como usar o bot",
        "cmd_ask": "Fazer uma pergunta",
        "cmd_partners": "Encontrar parceiros",
        "cmd_share": "Partilhar a sua solução",
        "cmd_lang": "Mudar o idioma",
        "cmd_reset": "Esquecer a conversa",
        "cmd_cancel": "Parar a partilha",
    },
    "ar": {
        "welcome": "👋 مرحبًا! أنا Galaxy Assistant. أجيب عن الأسئلة حول حلول التعاون بين بلدان الجنوب "
        "(المياه، الزراعة، الصحة، الطاقة، المناخ…) مع ذكر المصادر، وأقترح شركاء، وأجمع حلولكم.\n\n"
        "اكتب سؤالك، أو جرّب أحد هذه الأسئلة:",
        "help": "طريقة الاستخدام:\n"
        "• اكتب أي سؤال، مثل «الري بالطاقة الشمسية في النيجر». أجيب مع المصادر.\n"
        "• تحت كل إجابة: المصادر، الشركاء، المزيد، 👍 / 👎.\n"
        "/partners الحاجة: من يمكنه المساعدة\n"
        "/share: شارك حلّك (يراجعه مشرف)\n"
        "/lang: تغيير اللغة\n"
        "/reset: نسيان المحادثة\n"
        "/cancel: إيقاف /share",
        "lang_prompt": "اختر لغتك:",
        "lang_set": "حسنًا: سأتحدث بالعربية من الآن.",
        "reset_done": "تم: نسيت محادثتنا. اطرح سؤالًا جديدًا.",
        "apology": "عذرًا، حدث خطأ من جهتي. يُرجى المحاولة مرة أخرى بعد قليل.",
        "too_long": "رسالتك طويلة جدًا ({n} حرفًا). يُرجى طرح سؤال أقصر (بحد أقصى {max} حرفًا).",
        "ask_usage": "اكتب سؤالك بعد /ask، مثلًا: /ask {example}",
        "expired": "انتهت صلاحية هذه الإجابة. يُرجى طرح سؤالك من جديد.",
        "feedback_thanks": "شكرًا على رأيك!",
        "feedback_already": "لقد قيّمت هذه الإجابة من قبل.",
        "sources_title": "المصادر",
        "no_sources": "لا مصادر لهذه الإجابة.",
        "partners_title": "شركاء محتملون",
        "partners_none": "لم أجد أي شريك لهذه الحاجة في قاعدة المعارف.",
        "partners_usage": "اكتب حاجتك بعد /partners، مثلًا: /partners الري بالطاقة الشمسية في النيجر",
        "funding_title": "فرص التمويل",
        "btn_sources": "📚 المصادر",
        "btn_partners": "🤝 الشركاء",
        "btn_more": "➕ المزيد",
        "asked": "السؤال: {question}",
        "text_only": "لا أقرأ إلا الرسائل النصية. يُرجى كتابة سؤالك.",
        "nothing_to_cancel": "لا يوجد ما يُلغى.",
        "share_start": "لنُضِف حلّك إلى قاعدة المعارف. يراجعه مشرف قبل نشره. أرسل /cancel في أي وقت للتوقف."
        "\n\n1/4 ما اسم حلّك؟",
        "share_title_bad": "يجب أن يتراوح الاسم بين 5 و{max} حرفًا. ما اسم حلّك؟",
        "share_country": "2/4 في أي بلد يُستخدم؟ (أرسل - للتخطي)",
        "share_country_bad": "لا أعرف البلد «{value}». اكتب اسمه كاملًا، مثل Morocco، أو أرسل - للتخطي.",
        "share_problem": "3/4 ما المشكلة التي يحلّها، وكيف؟ (بين 20 و{max} حرفًا)",
        "share_problem_bad": "يُرجى وصفه في 20 إلى {max} حرفًا.",
        "share_contact": "4/4 كيف يمكن التواصل معك؟ بريد إلكتروني أو موقع ويب أو رقم هاتف (أرسل - للتخطي).",
        "share_contact_bad": "لا يبدو هذا بريدًا إلكترونيًا ولا موقعًا ولا رقم هاتف. حاول مرة أخرى، أو أرسل - للتخطي.",
        "share_invalid": "تعذّر الحفظ: {reason} أرسل وسيلة التواصل مرة أخرى، أو /cancel.",
        "share_done": "شكرًا! حلّك «{title}» بانتظار المراجعة (المرجع {id}).",
        "share_cancelled": "حسنًا، توقفت. لم تتم مشاركة أي شيء.",
        "cmd_start": "الترحيب وأمثلة",
        "cmd_help": "طريقة الاستخدام",
        "cmd_ask": "طرح سؤال",
        "cmd_partners": "البحث عن شركاء",
        "cmd_share": "مشاركة حلّك",
        "cmd_lang": "تغيير اللغة",
        "cmd_reset": "نسيان المحادثة",
        "cmd_cancel": "إيقاف المشاركة",
    },
    "sw": {
        "welcome": "👋 Habari! Mimi ni Galaxy Assistant. Ninajibu maswali kuhusu suluhisho za ushirikiano wa "
        "Kusini-Kusini (maji, kilimo, afya, nishati, tabianchi…) pamoja na vyanzo, ninapendekeza "
        "washirika, na ninapokea suluhisho zako.\n\nAndika swali lako, au jaribu mojawapo ya haya:",
        "help": "Jinsi ya kunitumia:\n"
        "• Andika swali lolote, kwa mfano “umwagiliaji wa jua nchini Niger”. Ninajibu pamoja na vyanzo.\n"
        "• Chini ya kila jibu: Vyanzo, Washirika, Zaidi, 👍 / 👎.\n"
        "/partners HITAJI: nani anaweza kusaidia\n"
        "/share: shiriki suluhisho lako (hukaguliwa na msimamizi)\n"
        "/lang: badilisha lugha\n"
        "/reset: sahau mazungumzo\n"
        "/cancel: simamisha /share",
        "lang_prompt": "Chagua lugha yako:",
        "lang_set": "Sawa: sasa nitazungumza Kiswahili.",
        "reset_done": "Imekamilika: nimesahau mazungumzo yetu. Uliza swali jipya.",
        "apology": "Samahani, kuna tatizo upande wangu. Tafadhali jaribu tena baada ya muda mfupi.",
        "too_long": "Ujumbe wako ni mrefu sana (herufi {n}). Tafadhali uliza swali fupi zaidi "
        "(herufi {max} au chache).",
        "ask_usage": "Andika swali lako baada ya /ask, kwa mfano: /ask {example}",
        "expired": "Jibu hili limepitwa na muda. Tafadhali uliza swali lako tena.",
        "feedback_thanks": "Asante kwa maoni yako!",
        "feedback_already": "Tayari umelipima jibu hili.",
        "sources_title": "Vyanzo",
        "no_sources": "Jibu hili halina vyanzo.",
        "partners_title": "Washirika wanaowezekana",
        "partners_none": "Sikupata mshirika wa hitaji hili katika hifadhi ya maarifa.",
        "partners_usage": "Andika hitaji lako baada ya /partners, kwa mfano: /partners umwagiliaji wa jua nchini Niger",
        "funding_title": "Fursa za ufadhili",
        "btn_sources": "📚 Vyanzo",
        "btn_partners": "🤝 Washirika",
        "btn_more": "➕ Zaidi",
        "asked": "Swali: {question}",
        "text_only": "Ninasoma ujumbe wa maandishi tu. Tafadhali andika swali lako.",
        "nothing_to_cancel": "Hakuna cha kusitisha.",
        "share_start": "Tuongeze suluhisho lako kwenye hifadhi ya maarifa. Msimamizi hulikagua kabla ya "
        "kuchapishwa. Tuma /cancel wakati wowote kusimama.\n\n1/4 Suluhisho lako linaitwaje?",
        "share_title_bad": "Jina linahitaji herufi kati ya 5 na {max}. Suluhisho lako linaitwaje?",
        "share_country": "2/4 Linatumika nchi gani? (tuma - kuruka)",
        "share_country_bad": "Sijui nchi “{value}”. Andika jina kamili, kwa mfano Kenya, au tuma - kuruka.",
        "share_problem": "3/4 Linatatua tatizo gani, na kwa namna gani? (herufi kati ya 20 na {max})",
        "share_problem_bad": "Tafadhali lieleze kwa herufi 20 hadi {max}.",
        "share_contact": "4/4 Watu wanawezaje kukufikia? Barua pepe, tovuti au namba ya simu (tuma - kuruka).",
        "share_contact_bad": "Hiyo haionekani kuwa barua pepe, tovuti wala namba ya simu. Jaribu tena, "
        "au tuma - kuruka.",
        "share_invalid": "Haikuweza kuhifadhiwa: {reason} Tuma mawasiliano tena, au /cancel.",
        "share_done": "Asante! Suluhisho lako “{title}” linasubiri ukaguzi (kumbukumbu {id}).",
        "share_cancelled": "Sawa, nimesimama. Hakuna kilichoshirikiwa.",
        "cmd_start": "Karibu na mifano",
        "cmd_help": "Jinsi ya kutumia",
        "cmd_ask": "Uliza swali",
        "cmd_partners": "Tafuta washirika",
        "cmd_share": "Shiriki suluhisho lako",
        "cmd_lang": "Badilisha lugha",
        "cmd_reset": "Sahau mazungumzo",
        "cmd_cancel": "Simamisha kushiriki",
    },
}

#: Example questions offered by /start (each answered from the shipped corpus).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "en": (
        "Solar irrigation for market gardens in Niger",
        "How do container-based toilets work in Kenya?",
        "Mobile phone alerts for floods or drought",
    ),
    "fr": (
        "Irrigation solaire pour le maraîchage au Niger",
        "Comment restaurer des terres dégradées au Sahel ?",
        "Des fours améliorés pour fumer le poisson",
    ),
    "es": (
        "Atrapanieblas para obtener agua en Perú",
        "Riego solar para huertas en Níger",
        "Registro de tierras con drones en Colombia",
    ),
    "pt": (
        "Cisternas de água da chuva no semiárido",
        "Restauração de mangais em Moçambique",
        "Irrigação solar para hortas no Níger",
    ),
    "ar": (
        "إعادة استخدام مياه الوضوء لري الحدائق",
        "إصلاح الأجهزة الإلكترونية وإعادة تدويرها",
        "تحويلات نقدية عبر الهاتف المحمول للأسر النازحة",
    ),
    "sw": (
        "Maji safi kwa shule za vijijini Kenya",
        "Biogesi kutoka taka za soko kwa kupikia",
        "Nishati safi kwa vyama vya ushirika vya pwani",
    ),
}

COMMANDS: tuple[str, ...] = ("start", "help", "ask", "partners", "share", "lang", "reset", "cancel")


def normalise_language(code: str | None) -> str | None:
    """'fr-CA' -> 'fr'; None when the code is missing or not one of LANGUAGES."""
    if not code:
        return None
    short = code.strip().lower().replace("_", "-").split("-")[0]
    return short if short in LANGUAGES else None


def text(lang: str | None, key: str, **values: object) -> str:
    table = TEXTS.get(lang or "") or TEXTS["en"]
    template = table.get(key) or TEXTS["en"][key]
    return template.format(**values) if values else template


def examples(lang: str | None) -> tuple[str, ...]:
    return EXAMPLES.get(lang or "") or EXAMPLES["en"]
