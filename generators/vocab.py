"""Fixed vocabularies: industries, sizes, legal forms, titles, sources, products."""

from __future__ import annotations

# Employee bands, smallest first; weights = share of companies and how many contacts they attract.
SIZES: tuple[str, ...] = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001+")
SIZE_SHARES: tuple[float, ...] = (0.2, 0.3, 0.24, 0.12, 0.07, 0.05, 0.02)
SIZE_CONTACT_WEIGHT: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5)
# Bigger buyers sign bigger deals: multiplies the tenant's typical deal size.
SIZE_DEAL_FACTOR: tuple[float, ...] = (0.35, 0.6, 1.0, 1.4, 1.9, 2.6, 3.6)
# Index of the first band that uses the "large company" legal forms (AG, PLC, S.A., ...).
LARGE_FROM = 4

# Industry label (the CRM picklist value) -> (share, size bias: -1 smaller, +1 larger).
INDUSTRIES: dict[str, tuple[float, int]] = {
    "Software": (0.16, 0),
    "Manufacturing": (0.11, 1),
    "Healthcare": (0.09, 0),
    "Financial Services": (0.09, 1),
    "Retail": (0.08, 0),
    "Logistics": (0.08, 0),
    "Construction": (0.07, 0),
    "Professional Services": (0.1, -1),
    "Education": (0.05, -1),
    "Real Estate": (0.06, -1),
    "Energy": (0.05, 1),
    "Media": (0.06, -1),
}

# Words that make a company name read like its industry, per language, in INDUSTRIES order.
INDUSTRY_WORDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "en": (
        ("Software", "Labs", "Systems", "Technologies", "Digital", "Cloud"),
        ("Manufacturing", "Industries", "Works", "Engineering", "Fabrication"),
        ("Health", "Medical", "Care", "Clinics", "Diagnostics"),
        ("Capital", "Financial", "Advisors", "Wealth", "Insurance"),
        ("Retail", "Stores", "Goods", "Market", "Outfitters"),
        ("Logistics", "Freight", "Transport", "Shipping", "Distribution"),
        ("Construction", "Builders", "Contracting", "Homes"),
        ("Consulting", "Partners", "Associates", "Advisory"),
        ("Learning", "Academy", "Education", "Training"),
        ("Properties", "Realty", "Real Estate", "Estates"),
        ("Energy", "Power", "Solar", "Utilities"),
        ("Media", "Studios", "Creative", "Publishing"),
    ),
    "de": (
        ("Software", "Systeme", "Technologies", "Digital", "IT"),
        ("Maschinenbau", "Werke", "Industrie", "Fertigung"),
        ("Medizintechnik", "Gesundheit", "Pflege", "Klinik"),
        ("Finanz", "Kapital", "Vermögensberatung", "Versicherungen"),
        ("Handel", "Warenhaus", "Markt"),
        ("Logistik", "Spedition", "Transporte"),
        ("Bau", "Bauunternehmen", "Hochbau"),
        ("Beratung", "Consulting", "Partner"),
        ("Akademie", "Bildung", "Schulungen"),
        ("Immobilien", "Hausverwaltung"),
        ("Energie", "Solar", "Stadtwerke"),
        ("Medien", "Verlag", "Studios"),
    ),
    "fr": (
        ("Logiciels", "Informatique", "Numérique", "Technologies"),
        ("Industries", "Mécanique", "Ateliers"),
        ("Santé", "Médical", "Cliniques"),
        ("Finance", "Gestion", "Assurances"),
        ("Distribution", "Commerce", "Magasins"),
        ("Logistique", "Transports", "Fret"),
        ("Construction", "Bâtiment", "BTP"),
        ("Conseil", "Associés", "Partenaires"),
        ("Formation", "Académie", "Éducation"),
        ("Immobilier", "Patrimoine"),
        ("Énergie", "Solaire", "Énergies"),
        ("Médias", "Éditions", "Studios"),
    ),
    "es": (
        ("Software", "Sistemas", "Tecnologías", "Digital"),
        ("Industrias", "Fabricaciones", "Manufacturas"),
        ("Salud", "Médica", "Clínicas"),
        ("Finanzas", "Capital", "Asesores", "Seguros"),
        ("Comercial", "Distribuciones", "Almacenes"),
        ("Logística", "Transportes", "Envíos"),
        ("Construcciones", "Obras", "Edificaciones"),
        ("Consultores", "Asesoría", "Asociados"),
        ("Formación", "Academia", "Educación"),
        ("Inmobiliaria", "Propiedades"),
        ("Energía", "Solar", "Renovables"),
        ("Medios", "Ediciones", "Estudios"),
    ),
    "ja": (
        ("ソフトウェア", "システム", "テクノロジー"),
        ("製作所", "工業", "製造"),
        ("メディカル", "医療"),
        ("証券", "ファイナンス", "保険"),
        ("商事", "商店", "リテール"),
        ("物流", "運輸", "ロジスティクス"),
        ("建設", "工務店"),
        ("コンサルティング", "パートナーズ"),
        ("教育", "アカデミー"),
        ("不動産", "地所"),
        ("電力", "エネルギー"),
        ("メディア", "出版"),
    ),
}
# Languages that put the industry word first ("Transportes García").
WORD_FIRST: frozenset[str] = frozenset({"fr", "es", "it", "pt"})
# Languages written without spaces between name parts.
NO_SPACE: frozenset[str] = frozenset({"ja", "zh"})

# Country code -> (legal forms of small companies, legal forms of large ones).
LEGAL_FORMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "US": (("LLC", "Inc.", "Co."), ("Inc.", "Corp.", "Corporation")),
    "GB": (("Ltd", "Ltd.", "LLP"), ("PLC", "Group plc", "Ltd")),
    "DE": (("GmbH", "GmbH & Co. KG", "e.K.", "KG"), ("AG", "SE", "GmbH")),
    "AT": (("GmbH", "KG"), ("AG", "GmbH")),
    "CH": (("GmbH", "AG"), ("AG",)),
    "FR": (("SARL", "SAS", "EURL"), ("SA", "SAS")),
    "ES": (("S.L.",), ("S.A.",)),
    "IT": (("S.r.l.", "S.n.c."), ("S.p.A.",)),
    "NL": (("B.V.",), ("N.V.", "B.V.")),
    "BR": (("Ltda.", "ME"), ("S.A.",)),
    "JP": (("株式会社", "合同会社", "有限会社"), ("株式会社",)),
}
# Country code -> top-level domain its companies mostly use (others use .com).
COUNTRY_TLDS: dict[str, str] = {
    "US": "com",
    "GB": "co.uk",
    "JP": "co.jp",
    "BR": "com.br",
    "AU": "com.au",
    "NZ": "co.nz",
    "IN": "co.in",
    "ZA": "co.za",
}
LOCAL_TLD_SHARE = 0.75

# Job titles a CRM's B2B contacts hold, per language; other languages use Faker's jobs.
JOB_TITLES: dict[str, tuple[str, ...]] = {
    "en": (
        "Chief Executive Officer",
        "Chief Financial Officer",
        "Chief Technology Officer",
        "VP of Sales",
        "VP of Marketing",
        "Head of Operations",
        "Head of Procurement",
        "Sales Director",
        "Marketing Manager",
        "Operations Manager",
        "IT Manager",
        "Procurement Manager",
        "Account Executive",
        "Business Development Manager",
        "Product Manager",
        "Office Manager",
        "Finance Manager",
        "HR Manager",
        "Customer Success Manager",
        "Software Engineer",
        "Project Manager",
        "Purchasing Agent",
        "Founder",
        "Managing Director",
        "Data Analyst",
    ),
    "de": (
        "Geschäftsführer",
        "Geschäftsführerin",
        "Vertriebsleiter",
        "Vertriebsleiterin",
        "Leiter Einkauf",
        "Leiterin Marketing",
        "IT-Leiter",
        "Projektmanager",
        "Key Account Manager",
        "Einkäufer",
        "Finanzleiter",
        "Personalleiterin",
        "Produktmanager",
        "Bereichsleiter Operations",
        "Teamleiter Kundenservice",
        "Prokurist",
        "Vorstand",
        "Softwareentwickler",
        "Assistenz der Geschäftsführung",
    ),
    "fr": (
        "Directeur général",
        "Directrice commerciale",
        "Directeur financier",
        "Responsable marketing",
        "Responsable des achats",
        "Chef de projet",
        "Directeur des systèmes d'information",
        "Responsable RH",
        "Ingénieur commercial",
        "Chargée de clientèle",
        "Responsable logistique",
        "Gérant",
        "Assistante de direction",
        "Chef de produit",
        "Directeur des opérations",
    ),
    "es": (
        "Director General",
        "Directora Comercial",
        "Director Financiero",
        "Responsable de Marketing",
        "Jefe de Compras",
        "Jefa de Proyecto",
        "Director de Tecnología",
        "Responsable de RR. HH.",
        "Ejecutivo de Cuentas",
        "Gerente de Operaciones",
        "Consultor",
        "Responsable de Logística",
        "Gerente",
        "Asistente de Dirección",
    ),
    "ja": (
        "代表取締役",
        "取締役",
        "営業部長",
        "マーケティング部長",
        "情報システム部長",
        "購買担当",
        "経理部長",
        "人事部長",
        "プロジェクトマネージャー",
        "営業担当",
        "課長",
        "係長",
    ),
}

# Where contacts come from: (source, weight) for leads and for other contacts.
LEAD_SOURCES: tuple[tuple[str, float], ...] = (
    ("website", 0.3),
    ("webinar", 0.12),
    ("content download", 0.14),
    ("paid ads", 0.14),
    ("event", 0.1),
    ("linkedin", 0.12),
    ("referral", 0.08),
)
CONTACT_SOURCES: tuple[tuple[str, float], ...] = (
    ("referral", 0.24),
    ("outbound", 0.22),
    ("event", 0.14),
    ("website", 0.18),
    ("partner", 0.12),
    ("linkedin", 0.1),
)
# Lifecycle status of new non-lead contacts before their deals are known.
CONTACT_STATUS_SHARES: tuple[tuple[str, float], ...] = (
    ("prospect", 0.6),
    ("opportunity", 0.28),
    ("customer", 0.12),
)

# What a deal sells, named after its buyer ("Parker Logistics - Annual subscription (Q3 2024)").
DEAL_PRODUCTS: tuple[str, ...] = (
    "Annual subscription",
    "Platform licence",
    "Pilot",
    "Expansion",
    "Renewal",
    "Onboarding package",
    "Enterprise plan",
    "Professional services",
    "Support upgrade",
    "Multi-year agreement",
    "Team plan",
    "Add-on seats",
)
# The products sold by the seat: their deal names say how many.
SEAT_PRODUCTS: frozenset[str] = frozenset({"Platform licence", "Enterprise plan", "Team plan", "Add-on seats"})
