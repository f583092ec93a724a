/* Galaxy Assistant chat widget. Embed with one tag:
   <script src="https://host/widget.js" data-title="..." data-lang="fr" data-key="..." async></script>
   No dependencies, no external requests; everything lives in a shadow root. Data is only ever set with
   textContent, never parsed as HTML. */
(() => {
  "use strict";
  const d = document;
  // `async` scripts still have currentScript while they run; the search is for loaders that lose it.
  const me = d.currentScript || [...d.scripts].reverse().find((s) => /\/widget\.js([?#]|$)/.test(s.src));
  if (!me || !d.head.attachShadow || d.querySelector("galaxy-assistant")) return;
  const base = me.src.replace(/widget\.js([?#].*)?$/, "");
  const attr = (n) => me.getAttribute("data-" + n) || "";
  const key = attr("key");
  const T = {
    en: ["Open the assistant", "Close", "New conversation", "Ask about a solution…", "Send",
      "Ask me what worked elsewhere in the Global South. I answer with sources.", "Sources", "Possible partners",
      "Helpful", "Not helpful", "Thanks for your feedback!", "Connection problem, retrying…",
      "Could not reach the assistant.", "Try again"],
    fr: ["Ouvrir l'assistant", "Fermer", "Nouvelle conversation", "Posez votre question…",
      "Envoyer", "Demandez-moi ce qui a marché ailleurs dans les pays du Sud. Je réponds avec mes sources.",
      "Sources", "Partenaires possibles", "Utile", "Pas utile", "Merci pour votre avis !",
      "Problème de connexion, nouvel essai…", "Impossible de joindre l'assistant.", "Réessayer"],
    es: ["Abrir el asistente", "Cerrar", "Nueva conversación", "Escriba su pregunta…", "Enviar",
      "Pregúnteme qué funcionó en otros lugares del Sur Global. Respondo con fuentes.", "Fuentes",
      "Posibles socios", "Útil", "No es útil", "¡Gracias por su opinión!", "Problema de conexión, reintentando…",
      "No se pudo contactar con el asistente.", "Reintentar"],
    pt: ["Abrir o assistente", "Fechar", "Nova conversa", "Escreva a sua pergunta…", "Enviar",
      "Pergunte-me o que funcionou noutros lugares do Sul Global. Respondo com fontes.", "Fontes",
      "Possíveis parceiros", "Útil", "Não é útil", "Obrigado pela sua opinião!",
      "Problema de ligação, a tentar de novo…", "Não foi possível contactar o assistente.", "Tentar de novo"],
    ar: ["افتح المساعد", "إغلاق", "محادثة جديدة", "اكتب سؤالك…", "إرسال",
      "اسألني عمّا نجح في أماكن أخرى من بلدان الجنوب. أجيب مع ذكر المصادر.", "المصادر", "شركاء محتملون",
      "مفيد", "غير مفيد", "شكرًا على رأيك!", "مشكلة في الاتصال، نعيد المحاولة…", "تعذّر الوصول إلى المساعد.",
      "أعد المحاولة"],
  };
  // The seeker's side of the loop: introductions, saved needs, a comment with a thumbs down.
  const U = {
    en: { connect: "Connect me", who: "Who with?", need: "What do you need from them?",
      contact: "Your e-mail or phone (optional)", consent: "The Galaxy team may keep this contact and pass it on for this introduction.",
      consentFirst: "Tick the box to share your contact, or leave it empty.", request: "Send request", cancel: "Cancel",
      requested: "Thank you! The Galaxy team has your request.", notify: "Tell me when a solution appears",
      saved: "Saved. Come back here: new solutions will show up.", comment: "What was wrong? (optional)",
      found: "New solution for", stop: "Stop alerts" },
    fr: { connect: "Mettez-moi en relation", who: "Avec qui ?", need: "De quoi avez-vous besoin ?",
      contact: "Votre e-mail ou téléphone (facultatif)", consent: "L'équipe Galaxy peut garder ce contact et le transmettre pour cette mise en relation.",
      consentFirst: "Cochez la case pour partager votre contact, ou laissez-le vide.", request: "Envoyer la demande",
      cancel: "Annuler", requested: "Merci ! L'équipe Galaxy a reçu votre demande.", notify: "Prévenez-moi quand une solution apparaît",
      saved: "C'est noté. Revenez ici : les nouvelles solutions s'afficheront.", comment: "Qu'est-ce qui n'allait pas ? (facultatif)",
      found: "Nouvelle solution pour", stop: "Arrêter les alertes" },
    es: { connect: "Póngame en contacto", who: "¿Con quién?", need: "¿Qué necesita de ellos?",
      contact: "Su correo o teléfono (opcional)", consent: "El equipo de Galaxy puede guardar este contacto y pasarlo para esta presentación.",
      consentFirst: "Marque la casilla para compartir su contacto, o déjelo vacío.", request: "Enviar solicitud",
      cancel: "Cancelar", requested: "¡Gracias! El equipo de Galaxy recibió su solicitud.", notify: "Avíseme cuando aparezca una solución",
      saved: "Guardado. Vuelva aquí: verá las nuevas soluciones.", comment: "¿Qué falló? (opcional)",
      found: "Nueva solución para", stop: "Detener avisos" },
    pt: { connect: "Ponham-me em contacto", who: "Com quem?", need: "De que precisa deles?",
      contact: "O seu e-mail ou telefone (opcional)", consent: "A equipa Galaxy pode guardar este contacto e passá-lo para esta apresentação.",
      consentFirst: "Assinale a caixa para partilhar o seu contacto, ou deixe-o vazio.", request: "Enviar pedido",
      cancel: "Cancelar", requested: "Obrigado! A equipa Galaxy recebeu o seu pedido.", notify: "Avise-me quando surgir uma solução",
      saved: "Guardado. Volte aqui: as novas soluções vão aparecer.", comment: "O que estava errado? (opcional)",
      found: "Nova solução para", stop: "Parar avisos" },
    ar: { connect: "صِلني بهم", who: "مع من؟", need: "ما الذي تحتاجه منهم؟", contact: "بريدك الإلكتروني أو هاتفك (اختياري)",
      consent: "يجوز لفريق Galaxy الاحتفاظ بوسيلة الاتصال هذه وإرسالها لهذا التعارف.",
      consentFirst: "ضع علامة في المربع لمشاركة وسيلة الاتصال، أو اتركها فارغة.", request: "أرسل الطلب", cancel: "إلغاء",
      requested: "شكرًا! تلقّى فريق Galaxy طلبك.", notify: "أخبرني عندما يظهر حل", saved: "تم الحفظ. عُد إلى هنا: ستظهر الحلول الجديدة.",
      comment: "ما الخطأ؟ (اختياري)", found: "حل جديد لـ", stop: "أوقف التنبيهات" },
  };
  const lang = [attr("lang"), navigator.language].map((l) => (l || "").slice(0, 2).toLowerCase())
    .find((l) => T[l]) || "en";
  const [tOpen, tClose, tNew, tAsk, tSend, tHi, tSources, tPartners, tUp, tDown, tThanks, tRetrying, tFailed,
    tRetry] = T[lang];
  const u = U[lang];
  const dir = lang === "ar" ? "rtl" : "ltr";
  const title = attr("title") || "Galaxy Assistant";
  const store = "galaxy-session:" + base;
  const needStore = "galaxy-needs:" + base;
  const canStream = !!(window.ReadableStream && window.TextDecoder && "body" in Response.prototype);

  const CSS = `:host{all:initial!important}
*{box-sizing:border-box;font:inherit}
.w{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a}
[hidden]{display:none!important}
button{cursor:pointer}
button:disabled{cursor:default;opacity:.6}
:focus-visible{outline:3px solid #f5a623;outline-offset:1px}
.l,.p{position:fixed;bottom:16px;inset-inline-end:16px;z-index:2147483000}
.l{width:56px;height:56px;border-radius:50%;border:0;background:#0b5cad;color:#fff;box-shadow:0 2px 10px #0005;display:flex;align-items:center;justify-content:center}
.p{width:380px;height:600px;max-width:calc(100vw - 32px);max-height:calc(100vh - 32px);display:flex;flex-direction:column;background:#fff;border-radius:12px;box-shadow:0 4px 24px #0005;overflow:hidden}
.h{display:flex;align-items:center;gap:8px;padding:8px 8px 8px 14px;background:#0b5cad;color:#fff}
h2{flex:1;margin:0;font-size:16px;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.b{border:1px solid currentColor;background:none;color:inherit;border-radius:6px;padding:4px 8px;font-size:13px}
.x{border:0;font-size:24px;line-height:1;padding:2px 8px}
.g{position:relative;flex:1;overflow-y:auto;padding:12px;overscroll-behavior:contain}
.m{margin:0 0 10px;padding:8px 12px;border-radius:10px;max-width:90%;overflow-wrap:anywhere}
.u{background:#0b5cad;color:#fff;margin-inline-start:auto;width:fit-content;white-space:pre-wrap}
.a{background:#f0f2f5}
.t{white-space:pre-wrap}
.d{animation:z 1.2s infinite}
@keyframes z{50%{opacity:.35}}
.e{color:#b00020}
.k{margin:8px 0 2px;font-weight:600;font-size:13px}
ol,ul{margin:0;padding-inline-start:22px;font-size:13px}
a{color:#0b5cad}
.v{display:flex;gap:6px;align-items:center;margin-top:8px;font-size:13px}
.v .b,.a>.b{border-color:#999;margin-top:6px}
.v .b{display:flex;padding:4px 6px}
.dn{transform:scaleY(-1)}
.f{display:flex;gap:8px;padding:8px;border-top:1px solid #ddd}
.c{display:flex;flex-direction:column;gap:6px;margin-top:8px;font-size:13px}
.c input,.c select,.c textarea{width:100%;font-size:16px;padding:6px;border:1px solid #999;border-radius:6px;color:#1a1a1a;background:#fff}
.c label{display:flex;gap:6px;align-items:flex-start}
.c label input{width:auto;margin-top:3px}
.r{display:flex;gap:6px}
.r .s{padding:6px 14px}
textarea{flex:1;resize:none;font-size:16px;padding:8px;border:1px solid #999;border-radius:8px;max-height:120px;color:#1a1a1a;background:#fff}
.s{border:0;border-radius:8px;background:#0b5cad;color:#fff;padding:0 14px;font-weight:600}
@media (max-width:480px){.p{inset:0;width:100vw;height:100vh;height:100dvh;max-width:none;max-height:none;border-radius:0}}
@media (prefers-reduced-motion:reduce){.d{animation:none}}`;

  const el = (tag, cls, text, attrs) => {
    const e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  };
  const getSid = () => {
    try {
      const s = localStorage.getItem(store);
      return /^[\w-]{1,100}$/.test(s) ? s : undefined;
    } catch (e) { /* storage blocked: every question starts a conversation */ }
  };
  const setSid = (s) => {
    try { s ? localStorage.setItem(store, s) : localStorage.removeItem(store); } catch (e) { /* as above */ }
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const failure = (message, fatal, wait) => Object.assign(new Error(message), { fatal, wait });
  // Every request names the widget, so the knowledge managers can tell its traffic from other API clients.
  const headers = (more) => Object.assign({ "X-Galaxy-Client": "widget" }, key ? { "X-API-Key": key } : {}, more);
  const post = (path, body, stream, signal) => fetch(base + path, {
    method: "POST",
    body: JSON.stringify(body),
    signal,
    headers: headers({ "Content-Type": "application/json", Accept: stream ? "text/event-stream" : "application/json" }),
  });
  const call = (path, method) => fetch(base + path, { method, headers: headers({ Accept: "application/json" }) });
  const getNeeds = () => {
    try { return JSON.parse(localStorage.getItem(needStore)) || []; } catch (e) { return []; }
  };
  const setNeeds = (tokens) => {
    try { localStorage.setItem(needStore, JSON.stringify(tokens.slice(-10))); } catch (e) { /* storage blocked */ }
  };
  // 4xx means the question itself is refused (no point retrying); 429, 5xx and network errors are retried.
  const check = async (res) => {
    if (res.ok) return res;
    let detail = "";
    try { detail = (await res.json()).detail; } catch (e) { /* not JSON */ }
    if (res.status === 429 || res.status === 408 || res.status >= 500) {
      throw failure(tFailed, false, res.status === 429 ? Math.min(30, +res.headers.get("Retry-After") || 5) * 1e3 : 0);
    }
    if (Array.isArray(detail)) detail = detail[0] && detail[0].msg;
    throw failure(typeof detail === "string" && detail ? detail : tFailed, true);
  };

  // Icons are drawn, not emoji: many phones lack an emoji font.
  const icon = (path, size, cls) => {
    const ns = "http://www.w3.org/2000/svg";
    const svg = d.createElementNS(ns, "svg");
    const p = d.createElementNS(ns, "path");
    for (const [k, v] of [["viewBox", "0 0 24 24"], ["width", size], ["height", size], ["aria-hidden", "true"]]) {
      svg.setAttribute(k, v);
    }
    if (cls) svg.setAttribute("class", cls);
    p.setAttribute("d", path);
    p.setAttribute("fill", "currentColor");
    svg.append(p);
    return svg;
  };
  const THUMB = "M2 10h4v11H2zM8 10l4-8c1.7 0 3 1.3 3 3v3h5a2 2 0 0 1 2 2.3l-1.4 8a2 2 0 0 1-2 1.7H8z";

  function init() {
    const host = el("galaxy-assistant");
    const root = host.attachShadow({ mode: "open" });
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet]; // not subject to the host page's CSP, unlike a <style> element
    } catch (e) {
      root.append(el("style", 0, CSS));
    }
    const wrap = el("div", "w", null, { dir, lang });
    const launcher = el("button", "l", null, { type: "button", "aria-label": tOpen, "aria-haspopup": "dialog" });
    launcher.append(icon("M4 3h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z", 28));

    const panel = el("div", "p", null, { role: "dialog", "aria-modal": "true", "aria-label": title, dir, lang, hidden: "" });
    const newBtn = el("button", "b", tNew, { type: "button" });
    const closeBtn = el("button", "b x", "×", { type: "button", "aria-label": tClose });
    const head = el("div", "h");
    head.append(el("h2", 0, title), newBtn, closeBtn);
    const log = el("div", "g", null, { role: "log", "aria-live": "polite", "aria-relevant": "additions" });
    const form = el("form", "f");
    const input = el("textarea", 0, null, { rows: "1", maxlength: "2000", "aria-label": tAsk, placeholder: tAsk });
    const sendBtn = el("button", "s", tSend, { type: "submit" });
    form.append(input, sendBtn);
    panel.append(head, log, form);
    wrap.append(launcher, panel);
    root.append(wrap);
    d.body.append(host);

    let ctl = null; // the question in flight; "new conversation" aborts it
    let generation = 0;
    let timer = 0;
    // Aborts the request when nothing arrives for `ms` (a proxy holding the stream, a dead link).
    const watch = (ms) => {
      clearTimeout(timer);
      if (ms) timer = setTimeout(() => ctl && ctl.abort(), ms);
    };
    const add = (cls, text) => {
      const m = el("div", "m " + cls, text);
      m.dir = "auto"; // an Arabic question or answer reads right to left
      log.append(m);
      log.scrollTop = log.scrollHeight;
      return m;
    };
    const hint = () => add("a", tHi);
    // A long answer is read from its start, a short one with what came before it.
    const reveal = (box) => {
      log.scrollTop = box.offsetHeight > log.clientHeight ? box.offsetTop - 8 : log.scrollHeight;
    };
    const show = (txt, text) => {
      txt.className = "t";
      txt.textContent = text;
      reveal(txt.parentNode);
    };
    const open = () => {
      panel.hidden = false;
      launcher.hidden = true;
      if (!log.firstChild) hint();
      input.focus();
      newSolutions();
    };
    const close = () => {
      panel.hidden = true;
      launcher.hidden = false;
      launcher.focus();
    };

    async function viaStream(q, txt) {
      watch(45e3); // headers come with the first words, which a local model may take a while to produce
      const res = await check(await post("v1/ask", { question: q, session_id: getSid(), stream: true }, true, ctl.signal));
      if (!/event-stream/.test(res.headers.get("Content-Type"))) throw failure("no stream", false);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = "";
      let shown = "";
      for (;;) {
        const { done, value } = await reader.read();
        watch(45e3);
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = (block.match(/^event: ?(.*)$/m) || [])[1];
          const data = JSON.parse(block.split("\n").filter((l) => l.startsWith("data:"))
            .map((l) => l.slice(5).replace(/^ /, "")).join("\n") || "null");
          if (event === "final") return data;
          if (event === "error") throw failure(data.detail, false);
          if (event === "token") shown += data.text;
          if (event === "reset") shown = data.text;
          show(txt, shown);
        }
      }
      throw failure("stream ended early", false);
    }

    async function viaJson(q) {
      watch(120e3); // the whole answer, generated, on a slow link
      const res = await check(await post("v1/ask", { question: q, session_id: getSid() }, false, ctl.signal));
      return res.json();
    }

    async function answer(q, txt, mine) {
      for (let attempt = 0; ; attempt++) {
        ctl = new AbortController();
        try {
          // Streaming first; after any failure, plain JSON (a buffering proxy or an old browser still works).
          return await (attempt === 0 && canStream ? viaStream(q, txt) : viaJson(q));
        } catch (e) {
          if (mine !== generation || e.fatal || attempt >= 3) throw e;
          txt.className = "t d";
          txt.textContent = tRetrying + " (" + (attempt + 1) + "/3)";
          await sleep(e.wait || 1e3 * 2 ** attempt + Math.random() * 500);
          if (mine !== generation) throw e;
        } finally {
          watch(0);
        }
      }
    }

    const link = (text, url) => {
      let href = null;
      try {
        const u = new URL(url);
        if (u.protocol === "http:" || u.protocol === "https:") href = u.href;
      } catch (e) { /* not an absolute URL: plain text */ }
      if (!href) return d.createTextNode(text);
      return el("a", 0, text, { href, target: "_blank", rel: "noopener noreferrer" });
    };

    const row = (...kids) => {
      const r = el("div", "r");
      r.append(...kids);
      return r;
    };

    function feedback(box, a) {
      const bar = el("div", "v");
      const rate = async (rating, comment, buttons) => {
        buttons.forEach((x) => { x.disabled = true; });
        try {
          await check(await post("v1/feedback", { session_id: a.session_id, answer_id: a.answer_id, rating, comment }));
          bar.append(el("span", 0, tThanks));
          return true;
        } catch (e) {
          buttons.forEach((x) => { x.disabled = false; });
          return false;
        }
      };
      const buttons = [["up", tUp], ["down", tDown]].map(([rating, label]) => {
        const b = el("button", "b", null, { type: "button", "aria-label": label, title: label });
        b.append(icon(THUMB, 16, rating === "down" ? "dn" : ""));
        b.onclick = () => (rating === "up" ? rate("up", "", buttons) : why());
        return b;
      });
      // A thumbs down may say what was wrong: one optional line, sent with the rating.
      const why = () => {
        buttons.forEach((x) => { x.disabled = true; });
        const f = el("form", "c");
        const text = el("input", 0, null, { maxlength: "2000", "aria-label": u.comment, placeholder: u.comment });
        const send = el("button", "s", tSend, { type: "submit" });
        f.append(text, row(send));
        f.onsubmit = async (e) => {
          e.preventDefault();
          send.disabled = true;
          if (await rate("down", text.value.trim(), buttons)) f.remove();
          else send.disabled = false;
        };
        bar.after(f);
        text.focus();
      };
      bar.append(...buttons);
      box.append(bar);
    }

    // "Connect me": the need and, only with the box ticked, a contact, for a cited solution or a partner.
    function connect(box, a) {
      const targets = (a.citations || []).map((c) => ["solution", c.doc_id, c.title])
        .concat((a.partners || []).map((p) => ["partner", p.name, p.name])).slice(0, 6);
      if (!targets.length || !a.answer_id) return;
      const open = el("button", "b", u.connect, { type: "button" });
      open.onclick = () => {
        open.hidden = true;
        const f = el("form", "c");
        const who = el("select", 0, null, { "aria-label": u.who });
        targets.forEach(([, , name], i) => who.append(el("option", 0, name, { value: String(i) })));
        const need = el("textarea", 0, null, { rows: "2", maxlength: "2000", required: "", "aria-label": u.need, placeholder: u.need });
        const contact = el("input", 0, null, { maxlength: "200", autocomplete: "email", "aria-label": u.contact, placeholder: u.contact });
        const consent = el("input", 0, null, { type: "checkbox" });
        const label = el("label");
        label.append(consent, d.createTextNode(u.consent));
        const problem = el("p", "e", null, { "aria-live": "polite" });
        const send = el("button", "s", u.request, { type: "submit" });
        const cancel = el("button", "b", u.cancel, { type: "button" });
        cancel.onclick = () => { f.remove(); open.hidden = false; open.focus(); };
        f.append(el("p", "k", u.who), who, need, contact, label, problem, row(send, cancel));
        f.onsubmit = async (e) => {
          e.preventDefault();
          const [kind, id, name] = targets[+who.value];
          const reach = contact.value.trim();
          if (reach && !consent.checked) { problem.textContent = u.consentFirst; return; }
          send.disabled = true;
          try {
            await check(await post("v1/introductions", { session_id: a.session_id, answer_id: a.answer_id,
              target_kind: kind, target_id: id, target_name: name, need: need.value.trim(), contact: reach,
              consent: !!reach && consent.checked }));
            f.replaceWith(el("p", 0, u.requested));
          } catch (x) {
            problem.textContent = x.message;
            send.disabled = false;
          }
        };
        open.after(f);
        need.focus();
      };
      box.append(open);
    }

    // "Nothing exactly on this": the question can wait for a solution; matches show when the widget opens again.
    function notify(box, q, a) {
      if (a.outcome !== "nothing_exact" || !a.session_id) return;
      const b = el("button", "b", u.notify, { type: "button" });
      b.onclick = async () => {
        b.disabled = true;
        try {
          const need = await (await check(await post("v1/needs", { session_id: a.session_id, question: q, answer_id: a.answer_id }))).json();
          setNeeds(getNeeds().filter((t) => t !== need.token).concat(need.token));
          b.replaceWith(el("p", 0, u.saved));
        } catch (e) {
          b.disabled = false;
        }
      };
      box.append(b);
    }

    let checked = false;
    async function newSolutions() {
      if (checked) return;
      checked = true;
      for (const token of getNeeds()) {
        try {
          const res = await call("v1/needs/" + encodeURIComponent(token), "GET");
          if (res.status === 404) { setNeeds(getNeeds().filter((t) => t !== token)); continue; }
          const need = await (await check(res)).json();
          if (need.status !== "open") { setNeeds(getNeeds().filter((t) => t !== token)); continue; }
          const fresh = need.matches.filter((m) => !m.delivered);
          if (!fresh.length) continue;
          const box = add("a", u.found + " “" + need.question + "”:");
          const ul = el("ul");
          fresh.forEach((m) => { const li = el("li"); li.append(link(m.title, m.url)); ul.append(li); });
          const stop = el("button", "b", u.stop, { type: "button" });
          stop.onclick = async () => {
            stop.disabled = true;
            try {
              await check(await call("v1/needs/" + encodeURIComponent(token), "DELETE"));
              setNeeds(getNeeds().filter((t) => t !== token));
              stop.remove();
            } catch (e) { stop.disabled = false; }
          };
          box.append(ul, stop);
        } catch (e) { /* offline: look again next time */ }
      }
    }

    function render(box, txt, a, q) {
      show(txt, a.answer); // the final text wins over what was streamed (unsupported sentences are dropped)
      if (a.session_id) setSid(a.session_id);
      if (a.citations && a.citations.length) {
        const ol = el("ol");
        for (const c of a.citations) {
          const li = el("li");
          li.value = c.n;
          li.append(link(c.title, c.url));
          ol.append(li);
        }
        box.append(el("p", "k", tSources), ol);
      }
      if (a.partners && a.partners.length) {
        const ul = el("ul");
        for (const p of a.partners) {
          ul.append(el("li", 0, p.name + (p.countries && p.countries.length ? " (" + p.countries.join(", ") + ")" : "")));
        }
        box.append(el("p", "k", tPartners), ul);
      }
      if (a.answer_id) feedback(box, a);
      connect(box, a);
      notify(box, q, a);
      reveal(box);
    }

    async function ask(q, box) {
      const mine = generation;
      box.textContent = "";
      const txt = el("div", "t d", "…");
      box.append(txt);
      sendBtn.disabled = true;
      log.setAttribute("aria-busy", "true"); // announce the finished answer, not every streamed piece
      try {
        const a = await answer(q, txt, mine);
        if (mine === generation) render(box, txt, a, q);
      } catch (e) {
        if (mine !== generation) return;
        txt.className = "t e";
        txt.textContent = e.fatal ? e.message : tFailed;
        if (!e.fatal) {
          const again = el("button", "b", tRetry, { type: "button" });
          again.onclick = () => ask(q, box);
          box.append(again);
        }
      } finally {
        if (mine === generation) {
          sendBtn.disabled = false;
          log.setAttribute("aria-busy", "false");
        }
      }
    }

    launcher.onclick = open;
    closeBtn.onclick = close;
    newBtn.onclick = () => {
      generation++;
      if (ctl) ctl.abort();
      setSid("");
      log.textContent = "";
      sendBtn.disabled = false;
      log.setAttribute("aria-busy", "false");
      hint();
      input.focus();
    };
    form.onsubmit = (e) => {
      e.preventDefault();
      const q = input.value.trim();
      if (!q || sendBtn.disabled) return;
      input.value = "";
      input.style.height = "";
      add("u", q);
      ask(q, add("a"));
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.onsubmit(e);
      }
    });
    input.addEventListener("input", () => {
      input.style.height = "";
      input.style.height = input.scrollHeight + "px";
    });
    panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        close();
      } else if (e.key === "Tab") { // keep focus inside the modal dialog
        const all = [...panel.querySelectorAll("button:not([disabled]):not([hidden]),textarea,input,select,a[href]")];
        const first = all[0];
        const last = all[all.length - 1];
        if (e.shiftKey && root.activeElement === first) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && root.activeElement === last) {
          e.preventDefault();
          first.focus();
        }
      }
    });
  }

  d.body ? init() : d.addEventListener("DOMContentLoaded", init);
})();
