//! Signature header formats: parsing each layout and decoding hex and base64 digests, with the
//! reasons a header is unusable.

use super::*;

fn kv(key: &str) -> HeaderFormat {
    HeaderFormat::Kv {
        pair_sep: ",".into(),
        kv_sep: "=".into(),
        key: key.into(),
    }
}

#[test]
fn kv_headers_give_every_signature_and_the_timestamp() {
    // HackerEarth's documented header (the docs break it over lines; sent as one line).
    let v = "t=1492774577,\n v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd, v1=abc,v0=6ffbb5";
    let f = parse(&kv("v1"), Some("t"), [v].into_iter());
    assert_eq!(f.timestamp, Some("1492774577"));
    assert_eq!(
        f.sigs(),
        [
            "5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
            "abc"
        ]
    );
}

#[test]
fn kv_headers_honour_custom_separators_and_keys() {
    let f = parse(
        &HeaderFormat::Kv {
            pair_sep: ";".into(),
            kv_sep: "=".into(),
            key: "h1".into(),
        },
        Some("ts"),
        ["ts=1700000000;h1=deadbeef"].into_iter(),
    );
    assert_eq!(
        (f.timestamp, f.sigs()),
        (Some("1700000000"), &["deadbeef"][..])
    );
}

#[test]
fn versioned_headers_keep_only_the_configured_version() {
    let v = "v1,Ceo5qEr0= v2,Ceo5qEr0= v1a,zzz v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,";
    let f = parse(
        &HeaderFormat::Versioned {
            version: "v1".into(),
        },
        None,
        [v].into_iter(),
    );
    assert_eq!(
        f.sigs(),
        ["Ceo5qEr0=", "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="]
    );
}

#[test]
fn value_headers_take_each_occurrence_and_skip_blank_ones() {
    let f = parse(&HeaderFormat::Value, None, [" abc ", "", "def"].into_iter());
    assert_eq!(f.sigs(), ["abc", "def"]);
}

#[test]
fn too_many_signatures_overflow() {
    let v = "v1=a,".repeat(MAX_SIGS + 1);
    let f = parse(&kv("v1"), None, [v.as_str()].into_iter());
    assert!(f.overflow);
    assert_eq!(f.sigs().len(), MAX_SIGS);
}

#[test]
fn hex_decodes_in_either_case_and_checks_prefix_and_length() {
    let mut out = [0u8; MAX_DIGEST];
    let lower = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    assert_eq!(
        decode(lower, "sha256=", DigestEncoding::Hex, 32, &mut out),
        Ok(32)
    );
    assert_eq!(out[0], 0x75);
    let upper = lower.to_uppercase().replace("SHA256=", "sha256=");
    assert_eq!(
        decode(&upper, "sha256=", DigestEncoding::Hex, 32, &mut out),
        Ok(32)
    );
    let sha1 = "sha1=01234567890123456789012345678901234567ab";
    assert_eq!(
        decode(sha1, "sha256=", DigestEncoding::Hex, 32, &mut out),
        Err(Unusable::NoPrefix)
    );
    assert_eq!(
        decode(&sha1[5..], "", DigestEncoding::Hex, 32, &mut out),
        Err(Unusable::WrongLength(20))
    );
    assert_eq!(
        decode("zz", "", DigestEncoding::Hex, 1, &mut out),
        Err(Unusable::BadEncoding)
    );
    assert_eq!(
        decode("abc", "", DigestEncoding::Hex, 1, &mut out),
        Err(Unusable::WrongLength(1))
    );
    let long = "ab".repeat(200);
    assert_eq!(
        decode(&long, "", DigestEncoding::Hex, 32, &mut out),
        Err(Unusable::WrongLength(200))
    );
}

#[test]
fn base64_decodes_with_or_without_padding() {
    let mut out = [0u8; MAX_DIGEST];
    let sig = "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    assert_eq!(
        decode(sig, "", DigestEncoding::Base64, 32, &mut out),
        Ok(32)
    );
    assert_eq!(
        decode(&sig[..43], "", DigestEncoding::Base64, 32, &mut out),
        Ok(32)
    );
    // The Standard Webhooks libraries' "invalid signature" sample: not canonical base64.
    assert_eq!(
        decode(
            "dawfeoifkpqwoekfpqoekf",
            "",
            DigestEncoding::Base64,
            32,
            &mut out
        ),
        Err(Unusable::BadEncoding)
    );
    assert_eq!(
        decode(
            "AAAAAAAAAAAAAAAAAAAAAA==",
            "",
            DigestEncoding::Base64,
            32,
            &mut out
        ),
        Err(Unusable::WrongLength(16))
    );
    assert_eq!(
        decode("not base64!", "", DigestEncoding::Base64, 32, &mut out),
        Err(Unusable::BadEncoding)
    );
    let sha512 = format!("{}==", "A".repeat(86));
    assert_eq!(
        decode(&sha512, "", DigestEncoding::Base64, 64, &mut out),
        Ok(64)
    );
}
