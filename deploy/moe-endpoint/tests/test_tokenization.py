from moe_endpoint.tokenization import SimpleTokenizer


def test_pieces_rebuild_the_text_and_ids_are_stable():
    tok = SimpleTokenizer(1000)
    text = "Which expert fired? It's hard to inspect, 42 times."
    ids, pieces = tok.encode(text)
    assert pieces[0] == "<s>" and ids[0] == tok.bos_token_id == 1
    assert "".join(pieces[1:]) == text
    assert all(0 <= i < 1000 and i not in (tok.pad_token_id, tok.bos_token_id) for i in ids[1:])
    assert SimpleTokenizer(1000).encode(text)[0] == ids
    assert tok.piece(ids[2]) == pieces[2]


def test_rephrasing_changes_some_ids():
    tok = SimpleTokenizer(1000)
    a, _ = tok.encode("What is a mixture of experts?")
    b, _ = tok.encode("Explain mixture-of-experts models.")
    assert a != b


def test_the_models_padding_id_is_never_a_word():
    tok = SimpleTokenizer(50, pad_token_id=1)
    ids, _ = tok.encode(" ".join(f"w{i}" for i in range(200)))
    assert tok.pad_token_id == 1 and ids[0] == tok.bos_token_id == 2
    assert 1 not in ids
