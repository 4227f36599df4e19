package scenario

import "io/fs"

// CatalogueSource returns the text of the built-in scenario called name, as
// this build embeds it (replay tokens carry a hash of it, so a token made
// before the scenario changed can say so).
func CatalogueSource(name string) ([]byte, error) {
	return fs.ReadFile(catalogueFS, "catalogue/"+name+".scn")
}
