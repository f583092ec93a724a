"""A saved need and the submissions that do and do not match it, shared by the API and bot tests."""

NEED = "beekeeping for honey income in Ethiopia"
MATCHING = {
    "title": "Beekeeping cooperatives that raise honey income in Tigray",
    "countries": ["Ethiopia"],
    "summary": "Women's beekeeping cooperatives in Ethiopia use modern hives and shared honey processing to double "
    "household income from honey sales.",
}
UNRELATED = {
    "title": "Mobile library vans for rural primary schools",
    "countries": ["Kenya"],
    "summary": "Vans carrying books visit rural primary schools every week so that children can borrow storybooks "
    "in Swahili and English.",
}
