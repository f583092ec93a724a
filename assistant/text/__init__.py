"""Text and places: folding and stemming (`textproc`), language detection (`language`), countries and regions
(`geo`) and the Sustainable Development Goals (`sdg`). Pure functions over strings and the data files under
`assistant/data/`; everything else in the core reads text through here."""
