enum KeystorePlaceholder {}
