"""Word lists and patterns: site chrome, notices to the reader, photo credits, captions, stopwords.

They are one signal among several: structure (length, punctuation, position)
decides most lines, and these lists name what structure cannot tell, in the
languages the corpus showed (English, German, French, Spanish, Italian,
Portuguese, Dutch, Nordic, Polish, Czech, Turkish, Indonesian, Russian,
Ukrainian, a little CJK). Chrome strings are compared after
:func:`lexicon_key`: casefolded, letters only, single spaces. The stopword
lists serve the language guess and the prose test. Word lists for bylines,
dates and headlines sit with the code that reads them.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "ALL_STOPWORDS",
    "BREADCRUMB",
    "CAPTION_CREDIT",
    "CAPTION_START",
    "CHROME_KEYS",
    "CHROME_PREFIX",
    "CHROME_TOKENS",
    "CJK_CHROME",
    "CLOCK_ONLY",
    "CREDIT_HINT",
    "CREDIT_TOKENS",
    "CREDIT_WORDS",
    "LEGAL",
    "LEGAL_HINT",
    "PICTURE_WORDS",
    "READ_TIME",
    "RELATIVE_TIME",
    "SHARE_BAR",
    "STOPWORDS",
    "TRAILING_KEYS",
    "UI_TERMS",
    "fold",
    "lexicon_key",
]


_CHROME_PHRASES = """
skip to content|skip to main content|skip to navigation|skip to search|skip to footer
skip navigation|skip to main navigation|jump to content|go to content|accessibility links
accessibility statement|accessibility help|breaking news|menu|main menu|open menu|close menu
toggle menu|navigation|open navigation|close|search|search for|sign in|sign out|log in|log out
login|logout|sign up|register|subscribe|subscribe now|subscribed|subscriber|my account|account
manage account|share|shares|share this|share this article|share this story|share this page
share on facebook|share on twitter|share via email|share article|tweet|email|e mail|mail|print
print this page|copy link|copy|link copied|save|saved|save article|bookmark|comments|comment
view comments|show comments|advertisement|advertising|sponsored|sponsored content|ad|ads
paid content|cookies|cookie settings|cookie policy|accept|accept all|accept cookies|reject all
manage cookies|manage preferences|privacy|privacy policy|privacy settings|terms|terms of use
terms and conditions|terms of service|contact|contact us|about|about us|newsletter|newsletters
sign up to our newsletter|related|related articles|related stories|related content|related topics
related news|read more|read next|more|show more|load more|see more|see all|view all|more stories
more news|most read|most popular|most viewed|trending|trending now|latest|latest news
latest stories|top stories|follow us|follow|home|homepage|back to top|next|previous|next article
previous article|up next|image|photo|photos|gallery|play|pause|loading|video loading|video|videos
watch|listen|live|podcast|podcasts|copyright|all rights reserved|read in app|get the app
download the app|open in app|topics|tags|editions|edition|more from|you may also like
you might also like|recommended|recommended for you|we recommend|advertise|careers|jobs|sitemap
rss|help|faq|feedback|settings|dark mode|light mode|cancel|ok|yes|no|more on this story
in other news|what to read next|you may like|scroll to continue|sections|show|hide|expand|collapse
listen to article|listen to this article|audio|flipboard|reddit|linkedin|whatsapp|telegram
pinterest|facebook|twitter|instagram|youtube|tiktok|x|threads|bluesky|messenger|sms|send
print options|reprints|permissions|more options|options|english|language|languages|translate
report an error|corrections|zum inhalt springen|zum hauptinhalt|zur navigation|direkt zum inhalt
springe zum hauptinhalt|hauptnavigation|nebennavigation|inhalt|fußzeile|suche|suchen|menü|anmelden
abmelden|einloggen|registrieren|abonnieren|abo|jetzt abonnieren|teilen|artikel teilen|drucken
kommentare|kommentieren|anzeige|werbung|datenschutz|datenschutzerklärung|impressum|kontakt
mehr zum thema|lesen sie auch|das könnte sie auch interessieren|weitere artikel|weiterlesen|mehr
startseite|schließen|zurück|weiter|alle rechte vorbehalten|cookie einstellungen|einstellungen
zustimmen|akzeptieren|alle akzeptieren|ablehnen|merken|artikel merken|vorlesen|artikel anhören
anhören|mehr anzeigen|themen|schlagworte|meistgelesen|newsletter abonnieren|zur startseite
nach oben|teilen auf facebook|link kopieren|fehler melden|feedback geben|jetzt lesen
artikel vorlesen|lesezeit|audio abspielen|aller au contenu|passer au contenu
aller au contenu principal|accès direct au contenu|rechercher|recherche|se connecter|connexion
se déconnecter|s abonner|abonnez vous|je m abonne|partager|imprimer|commentaires|commenter
publicité|lire aussi|à lire aussi|lire la suite|voir plus|accueil|fermer
politique de confidentialité|mentions légales|tous droits réservés|suivez nous|lien copié
partager cet article|copier le lien|sur le même sujet|les plus lus|passer la publicité
saltar al contenido|ir al contenido|ir al contenido principal|buscar|búsqueda|iniciar sesión
cerrar sesión|suscríbete|suscribirse|compartir|imprimir|comentarios|comentar|publicidad
lee también|leer más|ver más|te puede interesar|más información|inicio|cerrar
política de privacidad|aviso legal|todos los derechos reservados|síguenos|lo más leído
noticias relacionadas|compartir en facebook|vai al contenuto|salta al contenuto|cerca|accedi
abbonati|condividi|stampa|commenti|pubblicità|leggi anche|leggi di più|continua a leggere|chiudi
tutti i diritti riservati|seguici|i più letti|ir para o conteúdo|saltar para o conteúdo|pesquisar
entrar|assine|assinar|compartilhar|partilhar|comentários|publicidade|leia também|leia mais
veja também|todos os direitos reservados|siga nos|naar de inhoud|ga naar de inhoud|zoeken|inloggen
uitloggen|abonneren|delen|reacties|advertentie|lees ook|lees meer|meer|sluiten
alle rechten voorbehouden|volg ons|meest gelezen|till innehållet|hoppa till innehållet|sök
logga in|logga ut|prenumerera|dela|annons|läs också|läs mer|kommentarer|mest läst|spara|stäng
gå til indhold|søg|log ind|log ud|del|annonce|læs også|læs mere|abonnement|luk|mest læste
hopp til innhold|søk|logg inn|logg ut|annonse|les også|les mer|mest lest|lukk|przejdź do treści
szukaj|zaloguj|zaloguj się|wyloguj|subskrybuj|udostępnij|reklama|czytaj także|czytaj też
czytaj więcej|zobacz też|zobacz także|komentarze|zamknij|najczęściej czytane|přejít na obsah
hledat|přihlásit|přihlásit se|odhlásit|sdílet|čtěte také|komentáře|zavřít|tisk|ara|giriş yap
paylaş|reklam|ilginizi çekebilir|yorumlar|kapat|abone ol|haberin devamı|tümü|cari|masuk|bagikan
iklan|baca juga|tutup|berita terkait|поиск|войти|поделиться|реклама|читайте также|комментарии
закрыть|подписаться|пошук|увійти|поділитися|коментарі|читайте також
""".replace("\n", "|")

_TRAILING_PHRASES = """
related|related articles|related stories|related content|related topics|related news|read more
read next|more stories|more news|more on this story|more from|you may also like
you might also like|recommended|recommended for you|we recommend|most read|most popular
most viewed|comments|view comments|show comments|trending|trending now|top stories|latest news
latest stories|what to read next|in other news|more like this|popular|editor s picks
sponsored stories|around the web|from our partners|mehr zum thema|lesen sie auch
das könnte sie auch interessieren|weitere artikel|meistgelesen|mehr aus dem ressort|mehr von
kommentare|empfehlungen|auch interessant|zum thema|weitere themen|sur le même sujet|les plus lus
à lire aussi|lire aussi|dans la même rubrique|commentaires|noticias relacionadas|lo más leído
te puede interesar|más noticias|comentarios|contenido relacionado|leggi anche|i più letti
articoli correlati|potrebbe interessarti|commenti|leia também|veja também|mais lidas
notícias relacionadas|comentários|lees ook|meest gelezen|gerelateerde artikelen|reacties|läs också
mest läst|relaterat|kommentarer|læs også|mest læste|relaterede artikler|les også|mest lest
relaterte saker|czytaj także|zobacz także|najczęściej czytane|komentarze|čtěte také|nejčtenější
komentáře|ilginizi çekebilir|yorumlar|baca juga|berita terkait|читайте также|комментарии
читайте також
""".replace("\n", "|")

# Words that, glued together without spaces, make up a share bar
# ("FacebookTwitterFlipboardSendReddit").
_SHARE_WORDS = (
    "facebook|twitter|flipboard|send|reddit|messenger|linkedin|vk|whatsapp|telegram|pinterest|"
    "email|e-mail|mail|print|copy|link|sms|threads|bluesky|x|xing|tumblr|pocket|share|tweet|"
    "comments?|gettr|gab|parler|truth|mastodon|instagram|youtube|tiktok|copied|save|more"
)
SHARE_BAR = re.compile(rf"^(?:(?:{_SHARE_WORDS})[\s|•·/,]*){{2,}}$")

# Lines that start like in-body chrome: "Read more: ...", "ADVERTISEMENT".
CHROME_PREFIX = re.compile(
    r"^(?:read more|read also|also read|see also|related|watch|listen|recommended|advertisement"
    r"|sponsored|more|lesen sie auch|lesen sie mehr|mehr zum thema|auch interessant|siehe auch"
    r"|zum thema|anzeige|werbung|lire aussi|à lire aussi|voir aussi|leer más|lee también"
    r"|leggi anche|leia também|lees ook|läs också|læs også|les også|czytaj także|czytaj też"
    r"|čtěte také|baca juga|читайте также|читайте також|ilginizi çekebilir)\s*[:>»|–—·-]",
)

# Vocabulary of sentences about the site rather than the story (paywalls, consent, apps).
UI_TERMS = re.compile(
    r"\b(?:subscri(?:be|ber|ption)s?|sign(?:ed)?\s+(?:in|up)|log(?:ged)?\s+in|newsletters?|cookies?"
    r"|browser|javascript|ad\s?blocker|unlimited\s+access|click\s+here|tap\s+here|your\s+inbox"
    r"|privacy\s+policy|email\s+address|already\s+a\s+(?:subscriber|member)|free\s+trial"
    r"|bookmark|this\s+audio|notifications?|abonn\w*|anmelden|registrier\w*|werbeblocker"
    r"|klicken\s+sie|melden\s+sie\s+sich|vorlesefunktion|audioversion|einwilligung|zustimmung"
    r"|plus-artikel|freischalten|inscri\w+|cliquez|navigateur|consentement|suscri\w+|regístrate"
    r"|inicia\s+sesión|navegador|haz\s+clic|accedi|registrat[io]|clicca|consenso|assinante"
    r"|cadastr\w+|clique|nieuwsbrief|inloggen|prenumer\w+|logga\s+in|nyhetsbrev|nyhedsbrev"
    r"|log\s+ind|logg\s+inn|subskryp\w*|zaloguj|przeglądar\w*|kliknij|předplat\w*|přihlás\w*"
    r"|affiliate|this\s+(?:article|story|content)|dieser\s+artikel|diesen\s+artikel|cet\s+article"
    r"|este\s+artículo|questo\s+articolo|este\s+artigo|dit\s+artikel|denna\s+artikel|denne\s+artikel"
    r"|ten\s+artykuł|tento\s+článek|account|konto|compte|cuenta|paywall|e-?paper|embed\w*"
    r"|einbetten|link\s+(?:kopier\w*|copied|copiado|copiato|copié)|copy\s+link|přihla\w*"
    r"|salvat[oi]|sélections?|in\s+(?:der|the|our)\s+app|app\s+store|google\s+play|donat\w+"
    r"|samtykke|personvern|informasjonskapsler|dataskydd|en\s+partenariat\s+avec"
    r"|in\s+partnership\s+with|in\s+kooperation\s+mit|sponsored\s+by|präsentiert\s+von"
    r"|articles?\s+(?:per|a)\s+month|unlimited|unbegrenzt|illimité|ilimitado|failed\s+to\s+load"
    r"|konnte\s+nicht\s+geladen|refreshing\s+your|spende\w*|remove\s+ads|werbefrei"
    r")\b|会員|ログイン|購読|有料|こちら|ご覧ください|クッキー|로그인|구독",
)
# Reading time, relative times and bare clock times: header furniture.
READ_TIME = re.compile(
    r"\b(?:\d+\s*(?:min(?:ute)?s?\.?\s+(?:read|lesezeit|de\s+lecture|de\s+lectura|di\s+lettura))"
    r"|(?:lesezeit|lesedauer|reading\s+time|temps\s+de\s+lecture|tiempo\s+de\s+lectura"
    r"|tempo\s+di\s+lettura|leestijd|lästid|læsetid|lesetid|czas\s+czytania)\s*:?\s*\d+)",
)
RELATIVE_TIME = re.compile(
    r"\b\d+\s*(?:s|sec|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|sekunden|minuten|stunden"
    r"|tagen?|heures?|jours?|segundos|minutos|horas|días|secondi|minuti|ore|giorni|uur|dagen"
    r"|timmar|dagar|timer|dage|dager|godzin|minut|dni|hodin|dní|saat|dakika|gün|jam|hari"
    r"|часов|часа|минут|дней|weeks?|months?|years?|wochen|monaten|jahren|semaines|mois|semanas"
    r"|meses)\b|\bago\b|\b(?:heute|gestern|today|yesterday|aujourd'hui|hoy|ayer|oggi|ieri"
    r"|vandaag|gisteren|idag|igår|i\s+dag|i\s+går|dzisiaj|wczoraj|dnes|včera|bugün|dün"
    r"|сегодня|вчера)\b.*\d|\bvor\s+\d|\bil\s+y\s+a\b|\bhace\s+\d"
    r"|\d+\s*(?:分前|時間前|日前|분\s*전|시간\s*전)",
)
# Words that describe a picture rather than tell a story, for lines near the headline.
PICTURE_WORDS = re.compile(
    r"\b(?:pictured|in\s+this\s+(?:picture|photo|image|handout)|(?:is|are)\s+seen|seen\s+here"
    r"|poses?\s+for|photographed|photo\s+taken|undated|from\s+left|l-r|von\s+links|à\s+gauche"
    r"|de\s+izquierda\s+a\s+derecha|da\s+sinistra|aufgenommen\s+am|von\s+li\.?(?:\s+nach\s+re)?"
    r"|v\.\s?l\.(?:\s?n\.\s?r\.)?)\b"
    r"|\((?:left|right|centre|center|l\.|r\.|m\.|links|rechts|mitte|à\s+gauche|à\s+droite)\)",
    re.IGNORECASE,
)
CJK_CHROME = re.compile(
    r"シェア|印刷|ブックマーク|공유|인쇄|스크랩|分享|打印|收藏|閉じる|닫기|保存"
)
BREADCRUMB = re.compile(
    r"^(?:(?:you are here|du befindest dich hier|sie sind hier)\s*:|.*(?:\s[»›/]\s.*){2,}$"
    r"|(?:[^>]+>){2,}[^>]+$)",
)

LEGAL = re.compile(
    r"copyright\s*(?:©|\(c\))|©\s*(?:\d{4}|copyright)|all\s+rights\s+reserved|alle\s+rechte\s+vorbehalten"
    r"|tous\s+droits\s+réservés|todos\s+los\s+derechos\s+reservados|tutti\s+i\s+diritti\s+riservati"
    r"|todos\s+os\s+direitos\s+reservados|alle\s+rechten\s+voorbehouden|wszelkie\s+prawa\s+zastrzeżone"
    r"|všechna\s+práva\s+vyhrazena|tüm\s+hakları\s+saklıdır|все\s+права\s+защищены|無断転載|無断複製"
    r"|版权所有|版權所有|무단\s*전재|재배포\s*금지",
)
LEGAL_HINT = re.compile(
    r"©|copyright|right|recht|droit|derecho|diritt|direit|praw|práv|hakl|прав|無断|版|무단|재배포",
)
CLOCK_ONLY = re.compile(r"^[\s\d:./,|–—-]*\d[\s\d:./,|–—-]*$")

# Photo credits: agencies and the words that introduce a credit.
CREDIT_WORDS = re.compile(
    r"(?:\bgetty(?:\s+images)?\b|\breuters\b|\bap\s+photo\b|\(ap\)|\bafp\b|\bdpa\b|\bepa\b|\bimago\b"
    r"|\bshutterstock\b|\bistock(?:photo)?\b|\bkeystone\b|\bapa\b|\balamy\b|\bpa\s+(?:wire|media)\b"
    r"|\banp\b|\bansa\b|\befe\b|\bxinhua\b|\bpicture[\s-]alliance\b|\bsipa\b|\bbelga\b"
    r"|\britzau\b|\bntb\b|\btt\b|\bphotograph(?:er)?\s*:|\bphotos?\s*:|\bfotos?\s*:|\bbild\s*:"
    r"|\bimage\s*:|\bimages?\s+credits?\b|\bcredits?\s*:|\bpicture\s*:|\bquelle\s*:|\bsource\s*:"
    r"|\bcrédits?\s*:|\bcrédito\s*:|\bfonte\s*:|\bfoto\b|\bphoto\b|\bcopyright\b|©|\(c\)\s"
    r"|\bbildquelle\b|\bsymbolbild\b|\barchivbild\b|\bfile photo\b|\bhandout\b|/\s*[^\W\d_]{2,}\b)",
)
CREDIT_TOKENS = frozenset(
    (
        "getty", "reuters", "afp", "dpa", "epa", "imago", "shutterstock", "istock", "istockphoto",
        "keystone", "apa", "alamy", "anp", "ansa", "efe", "xinhua", "sipa", "belga", "ritzau",
        "ntb", "foto", "photo", "copyright", "bildquelle", "symbolbild", "archivbild", "handout",
    )
)  # fmt: skip
CREDIT_HINT = re.compile(r"[:©/(]|photo|picture|image|\bpa\s")
# Captions: a leading marker, or an embedded credit in parentheses or after a dash/slash.
CAPTION_START = re.compile(
    r"^(?:file(?:\s+photo)?\s*[-–—:]|file\s*photo|photo\s*:|photos\s*:|image\s*:|picture\s*:"
    r"|foto\s*:|fotos\s*:|bild\s*:|archivbild\s*:?|archivfoto\s*:?|symbolbild\s*:?|illustration\s*:"
    r"|archives?\s*[-–—:]|archivo\s*[-–—:]|photo d'archives"
    r"|\((?:symbolbild|archivbild|archiv|foto|bild|photo|file|illustration|image)\))",
)
CAPTION_CREDIT = re.compile(
    r"(?:\((?:ap|afp|reuters|getty|epa|dpa|photo|picture|foto|bild|image|credit|pa|anp|efe|ansa)"
    r"[^)]{0,80}\)\s*\.?$|\b(?:photograph|photo|foto|picture|bild|image|credit)s?\s*:\s*[^.]{2,80}$"
    r"|\b(?:reuters|afp|getty images|ap photo|dpa|epa|imago|keystone|apa)(?:/[^\s]{1,40})?\s*$"
    r"|(?:\s[-–—|/]\s*|\s)(?:©|copyright)\s*[^.]{1,80}$|\([^()]{2,60}/[^()]{2,40}\)\s*\.?$)",
)


def fold(text: str) -> str:
    """Casefold and strip accents (``März`` -> ``marz``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the of and to a in is that for it was on with he as be by at are this have from "
        "his an they not but had has which were or her she their been would its who will there "
        "when more than after also into said about one all we you can after over",
        "de": "der die das und in zu den von mit sich des auf für ist im dem nicht ein eine als "
        "auch es an werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über "
        "so zum war haben nur oder aber vor zur bis mehr durch man",
        "fr": "le la les de des du et en un une est que qui dans pour pas sur au par plus il elle "
        "ce se sont ont a aux avec son sa ses mais ou été leur cette comme nous vous ils",
        "es": "el la los las de del y en un una que es por con para se no su al lo como más pero "
        "sus le ha fue este esta entre cuando muy sin sobre también ya han ser son",
        "it": "il la le lo gli i di del della dei delle e è in un una che per con non si da al "
        "alla come ma più ha sono anche nel nella questo sua suo stato",
        "pt": "o a os as de do da dos das e em um uma que é para com não se por no na mais como "
        "mas foi ao à seu sua ou ser são também pelo pela",
        "nl": "de het een en van in is dat op te zijn voor met niet aan er die ook als bij door "
        "maar om dan nog wel naar uit heeft worden werd",
        "sv": "och i att det som en på är av för med till den har de inte om ett var men från "
        "han hon så kan vid sig efter också",
        "da": "og i at det som en på er af for med til den har de ikke om et var men fra han hun "
        "så kan ved sig efter også blev",
        "no": "og i at det som en på er av for med til den har de ikke om et var men fra han hun "
        "så kan ved seg etter også ble",
        "pl": "i w na z do się nie że to jest o jak ale po od za przez jego tym co są który "
        "także oraz dla przy tak już",
        "cs": "a v se na je že s z do o to i k jako by ale pro po jsou byl jeho které který "
        "také podle při tak už",
        "tr": "ve bir bu da de için ile olarak çok daha gibi en ama olan sonra kadar ise her "
        "değil ancak",
        "id": "yang dan di ini itu dengan untuk dari dalam pada tidak akan juga ke adalah ada "
        "oleh karena sebagai telah bahwa",
        "ru": "и в не на что с по как из за к у о от это но для его а же то все она так был "
        "также после",
        "uk": "і в не на що з по як із за до у про від це але для його а же то все вона так "
        "був також після",
        "is": "og að í á sem er við til það með um en var af hann fyrir eru hún ekki",
        "lt": "ir kad į su o iš bet jis ji yra buvo už apie tai kaip jo dėl",
        "vi": "và của là có các được trong cho không những một với này đã người khi",
        "sw": "na ya wa kwa katika ni za la kuwa hiyo huo hilo pia",
        "zu": "ukuthi futhi kodwa ngoba uma kanye noma kakhulu",
    }.items()
}
ALL_STOPWORDS: frozenset[str] = frozenset().union(*STOPWORDS.values())

_KEY_DROP = re.compile(r"[^\w\s]|\d|_", re.UNICODE)
_SPACES = re.compile(r"\s+")


def lexicon_key(text: str) -> str:
    """Lexicon key: casefolded, letters only, single spaces."""
    key = _SPACES.sub(" ", _KEY_DROP.sub(" ", text.casefold())).strip()
    return key.replace("e mail", "email")


CHROME_KEYS = frozenset(lexicon_key(p) for p in _CHROME_PHRASES.split("|") if p.strip())
CHROME_TOKENS = frozenset(
    k
    for k in CHROME_KEYS
    if " " not in k and k not in {"more", "mehr", "news", "video", "live", "home", "meer", "mer"}
) | frozenset(
    (
        "pocket", "druckansicht", "vorlesen", "speichern", "merken", "kommentieren", "teilen",
        "drucken", "whatsapp", "xing", "messenger", "copy", "link", "kopieren", "tweet", "tweeten",
        "email", "mail", "print", "save", "share", "comments",
    )
)  # fmt: skip
TRAILING_KEYS = frozenset(lexicon_key(p) for p in _TRAILING_PHRASES.split("|") if p.strip())
