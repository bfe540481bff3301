from commander.cli.main import main

raise SystemExit(main())
