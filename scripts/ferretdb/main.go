// Command ferretdb-launcher runs FerretDB on a loopback port, for tests and local
// development on machines without mongod: with its SQLite backend by default, or
// with its PostgreSQL backend when -postgresql-url names a database.
//
// It embeds the library instead of building upstream's cmd/ferretdb, whose plain
// `go install` panics at start for want of a generated version file.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "TCP address to listen on; port 0 picks a free one")
	dataDir := flag.String("data", "", "directory for the SQLite files (required without -postgresql-url)")
	postgresqlURL := flag.String("postgresql-url", "", "a PostgreSQL database to keep the data in instead of SQLite")
	flag.Parse()

	config := &ferretdb.Config{Listener: ferretdb.ListenerConfig{TCP: *listen}}
	if *postgresqlURL != "" {
		config.Handler = "postgresql"
		config.PostgreSQLURL = *postgresqlURL
	} else {
		if *dataDir == "" {
			log.Fatal("-data or -postgresql-url is required")
		}
		absData, err := filepath.Abs(*dataDir)
		if err != nil {
			log.Fatal(err)
		}
		if err = os.MkdirAll(absData, 0o700); err != nil {
			log.Fatal(err)
		}
		config.Handler = "sqlite"
		config.SQLiteURL = "file:" + absData + "/"
	}

	// FerretDB logs every connection at info level; only problems are worth a line here.
	config.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	f, err := ferretdb.New(config)
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	done := make(chan struct{})
	go func() {
		defer close(done)
		if runErr := f.Run(ctx); runErr != nil {
			log.Print(runErr)
		}
	}()

	// MongoDBURI waits for the listener, so the line below means "ready"; callers read it from stdout.
	fmt.Println(f.MongoDBURI())

	<-done
}
