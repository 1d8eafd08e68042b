from cordee.invitations.parsing import ParsedAddress, parse_addresses


def test_addresses_separated_by_commas_semicolons_spaces_and_new_lines():
    # Given a list typed with every kind of separator
    text = "lea@example.fr, karim@example.fr;ines@example.fr  paul@example.fr\nnoe@example.fr\r\n\n"

    # When it is parsed
    result = parse_addresses(text)

    # Then every address is found, in the order typed
    assert result.emails == [
        "lea@example.fr",
        "karim@example.fr",
        "ines@example.fr",
        "paul@example.fr",
        "noe@example.fr",
    ]
    assert result.invalid == []


def test_name_and_address_forms_from_an_email_client():
    text = "Léa Martin <lea@example.fr>, \"Benali, Karim\" <karim@example.fr>; 'Inès' <ines@example.fr>"

    result = parse_addresses(text)

    assert result.addresses == [
        ParsedAddress(email="lea@example.fr", name="Léa Martin"),
        ParsedAddress(email="karim@example.fr", name="Benali, Karim"),
        ParsedAddress(email="ines@example.fr", name="Inès"),
    ]
    assert result.invalid == []


def test_spreadsheet_rows_with_a_name_column_and_quoted_csv_cells():
    text = 'Léa Martin\tlea@example.fr\nKarim Benali\tkarim@example.fr\n"ines@example.fr","paul@example.fr"'

    result = parse_addresses(text)

    assert result.emails == ["lea@example.fr", "karim@example.fr", "ines@example.fr", "paul@example.fr"]
    assert result.addresses[0].name == "Léa Martin"
    assert result.invalid == []


def test_duplicates_are_kept_once_whatever_their_case():
    result = parse_addresses("lea@example.fr, LEA@Example.fr\nLéa <lea@example.fr>, karim@example.fr")

    assert result.emails == ["lea@example.fr", "karim@example.fr"]
    assert result.duplicates == 2


def test_invalid_entries_are_reported_as_typed():
    # Given a typo in an address, a name without address, and a broken domain
    text = "lea@example.fr, karim.example.fr\nJean Dupont, ines@@example.fr, paul@example"

    result = parse_addresses(text)

    assert result.emails == ["lea@example.fr"]
    assert result.invalid == ["karim.example.fr", "Jean Dupont", "ines@@example.fr", "paul@example"]


def test_mailto_links_and_uppercase_are_normalised():
    result = parse_addresses("mailto:Lea.Martin@Example.FR")

    assert result.emails == ["lea.martin@example.fr"]


def test_empty_text_gives_nothing():
    result = parse_addresses(" ,; \n ")

    assert result.addresses == []
    assert result.invalid == []


def test_an_address_longer_than_the_email_limit_is_invalid():
    long_address = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".fr"

    result = parse_addresses(long_address)

    assert result.emails == []
    assert result.invalid == [long_address]
